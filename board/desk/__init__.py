"""The instructor's desk: participation, the responses view, grading, checkpoints, reply suggestions, CSV, charts."""
