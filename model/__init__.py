"""Networks and their outputs: backbones, training, calibration, routing, bundles, prediction."""
