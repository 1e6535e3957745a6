"""Dense photo–sketch correspondence: PSCNet (Lu et al., ICML 2023), rebuilt to load the official weights.

Modules (torch is imported only by the model modules, never by this package's `__init__`):

* `config` — `WarpConfig` (what rebuilds a model; stored in checkpoint metadata), presets.
* `encoder`, `estimator`, `model` — the network; `create_warp_model(arch, **cfg)` is the registry.
* `convert` — official `.pth.tar` → our state dict; `checkpoints` — load/save either format;
  `zoo` — the shipped default model.
* `preprocess` — images to model input; `flows` — `FlowPair` and point transfer (numpy);
  `refine` — bending flows through confirmed keypoints (numpy).
* `predictor` — `WarpPredictor` / `IdentityPredictor`, the step-wise inference API.
* `evaluate` — PSC6K PCK by the official protocol; `onnx_export` — ONNX graph + parity check.
"""
