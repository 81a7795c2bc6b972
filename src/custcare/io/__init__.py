"""A shop's files in and results out: CSV, Excel, Parquet and SQL (the ``files`` extra).

An edge package, like `custcare.frames` and the command line: it reads files with
pandas (``pip install 'custcare[files]'``) and hands the tables to
`custcare.frames.batch_from_frames`; the core never imports it. `FileConfig` maps
your column names (from TOML or YAML with `load_config`, or a preset: `PRESETS`),
`load_files` gives a `CustomerBatch` with its load report, `write_table` writes
the result table, `write_report` its HTML report (`custcare.report`).
"""

from custcare.io._config import (
    ENCODINGS,
    PRESETS,
    TAOBAO_STATUS_WORDS,
    Encoding,
    FileConfig,
    load_config,
    preset,
)
from custcare.io._read import (
    CSV_SUFFIXES,
    DATABASE_SUFFIXES,
    EXCEL_SUFFIXES,
    Loaded,
    Source,
    as_of_moment,
    check_timezone_name,
    load_files,
    read_table,
)
from custcare.io._write import (
    OUTPUT_SUFFIXES,
    check_output,
    queue_columns,
    write_report,
    write_table,
)
from custcare.report import render_report

__all__ = [
    "CSV_SUFFIXES",
    "DATABASE_SUFFIXES",
    "ENCODINGS",
    "EXCEL_SUFFIXES",
    "OUTPUT_SUFFIXES",
    "PRESETS",
    "TAOBAO_STATUS_WORDS",
    "Encoding",
    "FileConfig",
    "Loaded",
    "Source",
    "as_of_moment",
    "check_output",
    "check_timezone_name",
    "load_config",
    "load_files",
    "preset",
    "queue_columns",
    "read_table",
    "render_report",
    "write_report",
    "write_table",
]
