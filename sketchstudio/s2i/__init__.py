"""Sketch-to-image generation (Liu et al., AAAI 2021): model, converter, renderer, sketch synthesis.

Modules: `model` (config, `create_s2i_model`), `autoencoder` / `refiner` / `layers` (the networks,
official state-dict layout), `convert` (official checkpoints), `zoo` (load/save, default model),
`preprocess` (image <-> tensor, polarity), `renderer` (`S2IRenderer`, `mix_styles`),
`sketch_synth` (XDoG sketches from photos), `data` (training data helpers), `onnx_export`.
Importing this package does not import torch; its modules do.
"""
