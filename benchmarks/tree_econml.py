"""The same-run peer for benchmarks/tree.sh: EconML's PolicyTree (greedy, depth 2, its own
defaults for the leaf minimum but min_samples_leaf matched to ours) fitted on exactly the scores
the Swift search read, timed, and its reward on those scores. Prints one JSON object."""
import json
import sys
import time

import numpy as np
from econml.policy import PolicyTree

base, rows, columns, arms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
x = np.fromfile(base + ".x.f32", dtype=np.float32).reshape(rows, columns).astype(np.float64)
r = np.fromfile(base + ".r.f64", dtype=np.float64).reshape(rows, arms)
start = time.perf_counter()
tree = PolicyTree(max_depth=2, min_samples_leaf=50, honest=False, random_state=1).fit(x, r)
seconds = time.perf_counter() - start
chosen = tree.predict(x)
print(json.dumps({"seconds": seconds, "reward": float(r[np.arange(rows), chosen].sum())}))
