"""Detectors over in-memory frames: thermal rules, fire/smoke, HOG people, ONNX plug-in, crowd,
stationary objects. Each returns :class:`payload.model.Detection` objects in pixels."""
