"""Shared model plumbing: device selection and the checkpoint format (safetensors + metadata).

Imports torch, so import it only where a model is about to run.
"""
