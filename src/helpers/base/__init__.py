"""Shared by every stage: paths, vocabulary constants, tables, Chinese text basics, the engine and run outputs."""
