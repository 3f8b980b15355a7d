"""Ranking memory: which model to try first for a stage, language and problem category.

PerfOrch's "Memory" (paper 001, section 4) indexes models by stage, language, category and metric and
ranks them by pass@1 (generate, Eq. 1), fix@1 (fix, Eq. 2) and, for refine, by the number of accepted
refinements and their improvement (Eq. 3, summed as in Eq. 4). Its memory is static; this one learns
from every outcome and keeps exploring:

* every outcome is one row of ``ranking_outcomes`` (an audit trail, and the source of median
  improvements) and one increment of the aggregate row in ``ranking_stats``;
* :meth:`RankingMemory.order` draws one Thompson sample per model from a Beta posterior on its success
  rate and sorts by it, so a model with little evidence still comes first now and then;
* evidence backs off from (language, category) to language to all languages: the posterior of a level
  uses the level above as a prior worth ``PRIOR_STRENGTH`` pseudo-attempts, so a thin cell is mostly
  its language's figure and a well-measured cell speaks for itself;
* for refine, a sampled acceptance rate is multiplied by the expected improvement of an accepted
  refinement (shrunk towards ``PRIOR_IMPROVEMENT``): expected gain per attempt, PerfOrch's weighted sum
  divided by the number of attempts.

Categories and metrics that do not apply are stored as ``''`` (SQLite primary keys let NULLs repeat).
"""

from __future__ import annotations

import random
import statistics
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Iterable

import sqlite_utils

STAGES = ("generate", "fix", "refine")
METRICS = ("time", "peak_memory", "mean_memory", "cpu")
PRIOR_STRENGTH = 4.0  # pseudo-attempts the parent level is worth in a child's prior
PRIOR_IMPROVEMENT = 10.0  # percent: assumed improvement of an accepted refinement before any evidence
IMPROVEMENT_STRENGTH = 2.0  # pseudo-refinements behind PRIOR_IMPROVEMENT


def m003_ranking_outcomes(db: sqlite_utils.Database) -> None:
    """Append-only migration (orchestrator store). IF NOT EXISTS: RankingMemory may have created the
    tables itself on a database that had not run the store's migrations yet."""
    db.execute("""
        CREATE TABLE IF NOT EXISTS ranking_outcomes (
            id INTEGER PRIMARY KEY,
            stage TEXT NOT NULL CHECK (stage IN ('generate', 'fix', 'refine')),
            language TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT '',
            metric TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL,
            success INTEGER NOT NULL CHECK (success IN (0, 1)),
            improvement REAL,
            source TEXT NOT NULL DEFAULT 'user',
            created TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE IF NOT EXISTS ranking_stats (
            stage TEXT NOT NULL,
            language TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT '',
            metric TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            successes INTEGER NOT NULL DEFAULT 0,
            improvement_sum REAL NOT NULL DEFAULT 0,
            updated TEXT NOT NULL,
            PRIMARY KEY (stage, language, category, metric, model)
        )""")
    db.execute("CREATE INDEX IF NOT EXISTS idx_ranking_outcomes_cell "
               "ON ranking_outcomes(stage, language, category, metric, model)")


@dataclass
class Counts:
    attempts: int = 0
    successes: int = 0
    improvement_sum: float = 0.0

    def add(self, other: "Counts") -> None:
        self.attempts += other.attempts
        self.successes += other.successes
        self.improvement_sum += other.improvement_sum


@dataclass
class Posterior:
    """Beta(alpha, beta) on the success rate and the expected improvement of a success (refine)."""

    alpha: float
    beta: float
    improvement: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def child(self, counts: Counts, strength: float = PRIOR_STRENGTH) -> "Posterior":
        """This level as a prior worth `strength` pseudo-attempts, updated with the child's counts."""
        mean = self.mean
        failures = counts.attempts - counts.successes
        improvement = ((counts.improvement_sum + self.improvement * IMPROVEMENT_STRENGTH)
                       / (counts.successes + IMPROVEMENT_STRENGTH))
        return Posterior(strength * mean + counts.successes, strength * (1 - mean) + failures, improvement)


@dataclass
class ModelScore:
    model: str
    cell: Counts  # evidence at (language, category)
    language: Counts  # evidence at language, all categories
    overall: Counts  # evidence over all languages
    posterior: Posterior
    sample: float | None = None

    @property
    def expected(self) -> float:
        return self.posterior.mean


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _norm_stage(stage: str) -> str:
    stage = stage.lower().strip()
    if stage == "solve":  # the pipeline's name for writing code from a problem
        stage = "generate"
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}: use one of {', '.join(STAGES)}")
    return stage


def _norm_metric(stage: str, metric: str | None) -> str:
    if stage != "refine":
        return ""  # correctness stages have one metric: pass@1 / fix@1
    return (metric or "time").lower().strip()


def _norm_category(category) -> str:
    """A name, or a categories.Category (its name), or None/'' for no category."""
    return str(getattr(category, "name", category) or "")


def _rng(rng) -> random.Random:
    if rng is None:
        return random.Random()
    if isinstance(rng, random.Random):
        return rng
    return random.Random(rng)


class RankingMemory:
    """Per-(stage, language, category, metric, model) outcomes in the history database.

    `db_or_history` is a sqlite_utils Database, or anything with a `.db` attribute (the run history,
    the orchestrator's store); its lock is shared when it has one.
    """

    def __init__(self, db_or_history):
        db = getattr(db_or_history, "db", db_or_history)
        if not isinstance(db, sqlite_utils.Database):
            db = sqlite_utils.Database(db)
        self.db = db
        self._lock = getattr(db_or_history, "_lock", None) or threading.RLock()
        with self._lock:
            if not {"ranking_outcomes", "ranking_stats"} <= set(self.db.table_names()):
                self._write(lambda: m003_ranking_outcomes(self.db))

    def _write(self, fn) -> None:
        with self._lock:
            conn = self.db.conn
            own = not conn.in_transaction
            if own:
                conn.execute("BEGIN IMMEDIATE")
            try:
                fn()
            except BaseException:
                if own:
                    conn.execute("ROLLBACK")
                raise
            if own:
                conn.execute("COMMIT")

    # -- learning -----------------------------------------------------------------------------------

    def record(self, stage: str, language: str, category: str | None, model: str, *, success: bool,
               metric: str | None = None, improvement: float | None = None, source: str = "user") -> None:
        """One outcome: a generate/fix attempt that passed or not; for refine, whether the candidate was
        accepted (correct and significantly better) and its improvement in percent (Eq. 3)."""
        stage = _norm_stage(stage)
        metric = _norm_metric(stage, metric)
        category = _norm_category(category)
        gain = float(improvement) if (success and improvement is not None) else 0.0
        key = [stage, language, category, metric, model]

        def write():
            self.db.execute(
                "INSERT INTO ranking_outcomes (stage, language, category, metric, model, success, improvement, "
                "source, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                key + [int(bool(success)), improvement, source, _now()])
            self.db.execute(
                "INSERT INTO ranking_stats (stage, language, category, metric, model, attempts, successes, "
                "improvement_sum, updated) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?) "
                "ON CONFLICT (stage, language, category, metric, model) DO UPDATE SET "
                "attempts = attempts + 1, successes = successes + excluded.successes, "
                "improvement_sum = improvement_sum + excluded.improvement_sum, updated = excluded.updated",
                key + [int(bool(success)), gain, _now()])

        self._write(write)

    # -- ranking ------------------------------------------------------------------------------------

    def _counts(self, stage: str, metric: str, models: Iterable[str]) -> dict[tuple[str, str, str], Counts]:
        models = list(models)
        if not models:
            return {}
        with self._lock:
            rows = self.db.execute(
                f"SELECT language, category, model, attempts, successes, improvement_sum FROM ranking_stats "
                f"WHERE stage = ? AND metric = ? AND model IN ({', '.join('?' for _ in models)})",
                [stage, metric, *models]).fetchall()
        return {(lang, cat, model): Counts(a, s, imp) for lang, cat, model, a, s, imp in rows}

    def scores(self, stage: str, language: str, category: str | None, pool: list[str], *,
               metric: str | None = None) -> list[ModelScore]:
        """Backed-off posteriors of each model of `pool` (no sampling), in pool order."""
        stage = _norm_stage(stage)
        metric = _norm_metric(stage, metric)
        category = _norm_category(category)
        rows = self._counts(stage, metric, pool)
        out = []
        for model in pool:
            overall, lang, cell = Counts(), Counts(), Counts()
            for (l_, c_, m_), counts in rows.items():
                if m_ != model:
                    continue
                overall.add(counts)
                if l_ == language:
                    lang.add(counts)
                    if category and c_ == category:
                        cell.add(counts)
            post = Posterior(1.0, 1.0, PRIOR_IMPROVEMENT).child(overall, strength=2.0)
            post = post.child(lang)
            if category:
                post = post.child(cell)
            out.append(ModelScore(model, cell, lang, overall, post))
        return out

    def order(self, stage: str, language: str, category: str | None, pool: list[str], *,
              metric: str | None = None, rng=None, explore: bool = True) -> list[str]:
        """`pool` ordered best first. With `explore` (the default) by one Thompson sample per model, so
        the order varies and a model with little evidence keeps a real chance to be tried; without it by
        the posterior means (ties keep pool order: the user's order is the tie-breaker)."""
        pool = list(dict.fromkeys(pool))  # a model listed twice is tried once
        if len(pool) < 2:
            return pool
        stage_n = _norm_stage(stage)
        scored = self.scores(stage_n, language, category, pool, metric=metric)
        gen = _rng(rng)
        refine = stage_n == "refine"
        for s in scored:
            p = s.posterior
            rate = gen.betavariate(p.alpha, p.beta) if explore else p.mean
            s.sample = rate * max(p.improvement, 1e-6) if refine else rate
        ranked = sorted(enumerate(scored), key=lambda item: (-item[1].sample, item[0]))
        return [s.model for _, s in ranked]

    # -- reading ------------------------------------------------------------------------------------

    def table(self, stage: str | None = None, language: str | None = None, category: str | None = None,
              metric: str | None = None) -> list[dict]:
        """Aggregate rows (PerfOrch's figures): attempts, successes, rate (pass@1 / fix@1 / share of
        accepted refinements, in percent), and for refine the median and summed improvement."""
        where, params = [], []
        for column, value in (("stage", _norm_stage(stage) if stage else None), ("language", language),
                              ("category", category), ("metric", metric)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = ("SELECT stage, language, category, metric, model, attempts, successes, improvement_sum "
               "FROM ranking_stats" + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY stage, language, category, metric, CAST(successes AS REAL) / attempts DESC, model")
        with self._lock:
            rows = self.db.execute(sql, params).fetchall()
            gains: dict[tuple, list[float]] = {}
            for *key, imp in self.db.execute(
                    "SELECT stage, language, category, metric, model, improvement FROM ranking_outcomes "
                    "WHERE success = 1 AND improvement IS NOT NULL").fetchall():
                gains.setdefault(tuple(key), []).append(imp)
        out = []
        for st, lang, cat, met, model, attempts, successes, imp_sum in rows:
            row = {"stage": st, "language": lang, "category": cat, "metric": met, "model": model,
                   "attempts": attempts, "successes": successes,
                   "rate": round(100.0 * successes / attempts, 2) if attempts else None}
            if st == "refine":
                values = gains.get((st, lang, cat, met, model), [])
                row["improvement_sum"] = round(imp_sum, 3)
                row["median_improvement"] = round(statistics.median(values), 3) if values else None
            out.append(row)
        return out

    def outcomes(self, limit: int = 100) -> list[dict]:
        with self._lock:
            cursor = self.db.execute("SELECT * FROM ranking_outcomes ORDER BY id DESC LIMIT ?", [limit])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]


def score_dict(score: ModelScore) -> dict:
    return {"model": score.model, "expected": round(score.expected, 4), "cell": asdict(score.cell),
            "language": asdict(score.language), "overall": asdict(score.overall),
            "expected_improvement": round(score.posterior.improvement, 3)}
