"""The peer of `vigie import` in benches/import.sh: pyarrow's streaming CSV reader over the
same files, reading the same columns as text, block by block, and counting rows — what
parsing alone costs, without Vigie's checks, rejects or aggregation. Prints the rows read.

Usage: python benches/import_peer.py SEPARATOR COLUMN[,COLUMN…] FILE [FILE…]
"""
import sys

import pyarrow as pa
import pyarrow.csv as csv


def main() -> None:
    sep, columns, files = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
    rows = 0
    for path in files:
        # The header's names as the file writes them; the columns read in any case.
        with open(path, encoding="utf-8") as f:
            header = f.readline().rstrip("\r\n").split(sep)
        wanted = [h for h in header if h.lower() in columns]
        reader = csv.open_csv(
            path,
            read_options=csv.ReadOptions(block_size=32 << 20),
            parse_options=csv.ParseOptions(delimiter=sep, newlines_in_values=True),
            convert_options=csv.ConvertOptions(
                include_columns=wanted,
                column_types={h: pa.string() for h in wanted},
            ),
        )
        for batch in reader:
            rows += batch.num_rows
    print(rows)


if __name__ == "__main__":
    main()
