"""matplotlib charts (Agg backend, PNG): grouped bars with the papers' numbers beside ours, box plots of
improvements (PerfOrch Figure 5 shape), and a reliability diagram for the judge."""

from __future__ import annotations

import math
from pathlib import Path

from evaluation.suite import Chart


def _plt():
    try:
        import matplotlib
    except ImportError as exc:
        raise RuntimeError("charts need matplotlib: pip install matplotlib (tables work without it)") from exc
    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    return plt


def _finite(value) -> float:
    return value if isinstance(value, (int, float)) and not math.isnan(value) else 0.0


def bars(chart: Chart, path: Path) -> Path:
    plt = _plt()
    groups = chart.data["groups"]
    series = {**chart.data.get("series", {}), **chart.data.get("reference", {})}
    references = set(chart.data.get("reference", {}))
    fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(groups) * max(1, len(series)) / 2), 4))
    width = 0.8 / max(1, len(series))
    for i, (label, values) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        ys = [_finite(values.get(g)) for g in groups]
        bar = ax.bar(xs, ys, width, label=label, hatch="//" if label in references else None,
                     alpha=0.6 if label in references else 1.0)
        ax.bar_label(bar, labels=[f"{100 * y:.0f}" if values.get(g) is not None and not
                                  (isinstance(values.get(g), float) and math.isnan(values.get(g))) else ""
                                  for g, y in zip(groups, ys)], fontsize=7)
    if chart.data.get("chance") is not None:
        ax.axhline(chart.data["chance"], color="grey", ls=":", lw=1, label="chance")
    ax.set_xticks(range(len(groups)), groups)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel(chart.data.get("ylabel", ""))
    ax.set_title(chart.title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    return _save(fig, plt, path)


def box(chart: Chart, path: Path) -> Path:
    plt = _plt()
    series = {k: v for k, v in chart.data["series"].items() if v}
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(series) + 2), 4))
    if series:
        labels = [k.replace(" ", "\n") for k in series]  # "python mean_memory" on two lines: no overlap
        ax.boxplot([[100 * x for x in v] for v in series.values()], tick_labels=labels)
    reference = chart.data.get("reference", {})
    marked = [(i, reference[label]) for i, label in enumerate(series, 1) if label in reference]
    for n, (i, value) in enumerate(marked):  # one legend entry, on the first marker whichever series it is
        ax.plot(i, value, marker="D", color="tab:red", label="paper median" if n == 0 else None)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_ylabel(chart.data.get("ylabel", "improvement (%)"))
    ax.set_title(chart.title, fontsize=10)
    if marked:
        ax.legend(fontsize=7)
    return _save(fig, plt, path)


def reliability(chart: Chart, path: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([1, 5], [1, 5], color="grey", lw=0.8, ls="--", label="perfect agreement")
    for label, bins in chart.data["series"].items():
        pts = [(b["judge"], b["human_mean"], b["n"]) for b in bins if b["n"]]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=label)
            for x, y, n in pts:
                ax.annotate(str(n), (x, y), fontsize=7, textcoords="offset points", xytext=(4, 4))
    ax.set_xlim(0.5, 5.5)
    ax.set_ylim(0.5, 5.5)
    ax.set_xlabel("judge score")
    ax.set_ylabel("mean human score (n per point)")
    ax.set_title(chart.title)
    ax.legend(fontsize=7)
    return _save(fig, plt, path)


def _save(fig, plt, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def render(chart: Chart, folder: Path) -> Path:
    kinds = {"bars": bars, "box": box, "reliability": reliability}
    return kinds[chart.kind](chart, Path(folder) / chart.filename)
