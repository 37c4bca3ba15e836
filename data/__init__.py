"""Images and datasets: safe decoding, sources, splits, transforms, synthetic demo images."""
