"""Child process of ``bench.steady``: run the Prefect monitor flow N times, print the walls.

python -m bench.flow_pass <sources.yaml> <runs>   →  last line: JSON list of seconds
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    sources_file, runs = argv[0], int(argv[1])
    from tradewatch.flows_here import flows_here

    walls: list[float] = []
    with flows_here():  # as `tradewatch monitor` calls it
        from flows.monitor import monitor

        for _ in range(runs):
            started = time.perf_counter()
            summary = monitor(sources_file=sources_file, force=True)
            walls.append(time.perf_counter() - started)
            if summary["failed_sources"]:
                print(f"failed sources: {summary['failed_sources']}", file=sys.stderr)
                return 1
    print(json.dumps(walls))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
