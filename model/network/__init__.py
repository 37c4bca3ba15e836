"""Networks and the backends that run them: timm backbones with offline weights,
PyTorch and ONNX Runtime backends, ONNX export, device and precision.
"""
