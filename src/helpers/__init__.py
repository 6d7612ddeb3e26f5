"""Helpers of the Longgang party-building report, one package per pipeline stage, in the order data flows:

base/               paths, vocabulary (schema), tables, Chinese text basics, the per-document engine, run outputs
stage1_load/        notebook 01: read and decode files, clean them with a log, place them, cut them into segments
stage2_words/       notebook 02: jieba tokens, person names masked, term and concept frequencies
stage3_framing/     notebook 03: the framing codebook and its hits, then the street-by-street comparison
stage4_quantities/  notebook 04: figures the texts report (numbers with units, subjects, owners)
stage5_report/      notebook 05: charts, English glosses, HTML building blocks and the report's sections
run_notebooks.py    `make report`: executes the notebooks in order;  bench.py: `make bench`
resources/          the project's data: dictionaries, codebook, gazetteer, glossary, validation samples
"""
