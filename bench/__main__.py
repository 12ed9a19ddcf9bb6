"""`python -m bench` (what `make bench` runs): the benchmark sections; `--help` lists the options."""

import sys

from bench.run import main

sys.exit(main())
