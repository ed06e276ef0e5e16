"""The Textual playground. Imports no torch: the engine is loaded by a worker."""
