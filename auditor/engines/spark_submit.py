"""spark-submit entry point (absolute imports only, so it runs as a script).

    spark-submit --master spark://host:7077 \\
        "$(python -c 'import auditor.engines.spark_submit as m; print(m.__file__)')" \\
        notes.parquet --out report/ [--id-col C] [--text-col C] [--patterns DIR] [--redact]
        [--force]

Runs ``auditor.engines.spark_engine.main``: the report folder is written by the driver as
``auditor audit --engine spark`` writes it; exit codes are those of ``auditor audit``.
"""

import sys

from auditor.engines.spark_engine import main

if __name__ == "__main__":
    sys.exit(main())
