//! Face detection, eye state and face focus on CPU (BlazeFace, face mesh and iris models via tract-onnx).
