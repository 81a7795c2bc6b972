"""Make lifetimes_clv_reference.json: lifetimes 0.11.3's customer_lifetime_value on CDNOW.

Run once in the lifetimes venv (bash benchmarks/lifetimes_env.sh), from the repo root:

    /tmp/lifetimes-venv/bin/python tests/data/lifetimes_clv_reference.py

It fits lifetimes' BetaGeoFitter on the published 39-week CDNOW summary (all 2,357
customers) and GammaGammaFitter on the repeat buyers with a positive mean value, then
stores the fitted parameters and GammaGammaFitter.customer_lifetime_value(bgf, ...) for
every 50th customer, for two settings (12 months at 1 % a month; 24 months at 2 %),
with freq="W" (T in weeks: 4.345 weeks per month). custcare is not imported here.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    """Fit with lifetimes and write the JSON (imports lifetimes: run in its venv)."""
    import numpy as np
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    df = pd.read_csv(HERE / "cdnow_customers_summary_with_transactions.csv")
    f, r, t, m = (df[c].to_numpy(dtype=float) for c in ("x", "t_x", "T", "zbar"))
    bgf = BetaGeoFitter().fit(f, r, t)
    rep = (f > 0) & (m > 0)
    ggf = GammaGammaFitter().fit(f[rep], m[rep])
    rows = np.arange(0, len(df), 50)
    out = {
        "made_by": "tests/data/lifetimes_clv_reference.py with lifetimes 0.11.3",
        "bgnbd": {k: float(v) for k, v in bgf.params_.items()},
        "gamma_gamma": {k: float(v) for k, v in ggf.params_.items()},
        "rows": rows.tolist(),
        "frequency": f[rows].tolist(),
        "recency": r[rows].tolist(),
        "T": t[rows].tolist(),
        "monetary_value": m[rows].tolist(),
        "clv": {},
    }
    for months, rate in ((12, 0.01), (24, 0.02)):
        clv = ggf.customer_lifetime_value(
            bgf,
            pd.Series(f[rows]),
            pd.Series(r[rows]),
            pd.Series(t[rows]),
            pd.Series(m[rows]),
            time=months,
            discount_rate=rate,
            freq="W",
        )
        out["clv"][f"{months}_months_{rate}"] = [float(v) for v in clv]
    (HERE / "lifetimes_clv_reference.json").write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: out[k] for k in ("bgnbd", "gamma_gamma")}))


if __name__ == "__main__":
    main()
