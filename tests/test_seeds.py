"""One root seed, split per step with SeedSequence; the old per-section seeds as overrides."""

from __future__ import annotations

import numpy as np
import pytest

from border_readiness.experiments.config import ConfigError, flatten, load_config, load_experiment
from border_readiness.experiments.seeds import STEPS, step_seeds


def test_each_step_gets_its_own_child_of_the_root_seed():
    seeds = step_seeds(42)
    children = np.random.SeedSequence(42).spawn(len(STEPS))
    for step, child in zip(STEPS, children, strict=True):
        assert getattr(seeds, step) == int(child.generate_state(1)[0])
    values = [getattr(seeds, s) for s in STEPS]
    assert len(set(values)) == len(values)  # no two steps share a stream
    assert step_seeds(42) == seeds and step_seeds(43) != seeds


def test_old_seeds_override_their_steps_only():
    base = step_seeds(1)
    s = step_seeds(1, score_seed=7, cluster_seed=9)
    assert (s.monte_carlo, s.sobol) == (7, 7)
    assert (s.clustering, s.bootstrap, s.consensus, s.permutations, s.surrogate) == (9,) * 5
    assert s.umap == base.umap


def test_config_root_seed_reaches_the_score_and_the_steps(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("seed = 5\n", encoding="utf-8")
    cfg = load_experiment(path)
    expected = step_seeds(5)
    assert cfg.seeds == expected
    assert cfg.score.random_state == expected.monte_carlo
    assert cfg.score.sobol_random_state == expected.sobol
    params = flatten(cfg)
    assert params["seed"] == "5" and params["seeds.bootstrap"] == str(expected.bootstrap)
    # --seed on the command line replaces the config's root
    assert load_config(path, seed=6)["seeds"] == step_seeds(6)


def test_per_section_seeds_stay_accepted_as_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("seed = 5\n[score]\nrandom_state = 3\n[cluster]\nseed = 4\n", encoding="utf-8")
    cfg = load_experiment(path)
    assert cfg.score.random_state == 3 and cfg.score.sobol_random_state is None
    assert cfg.seeds.bootstrap == 4 and cfg.seeds.umap == step_seeds(5).umap


def test_commands_without_a_config_use_the_shipped_default_config():
    from border_readiness.experiments.config import shipped_configs

    shipped = load_experiment(shipped_configs()["default"])
    assert load_experiment(None) == shipped
    # the shipped config pins the per-section seeds of version 0.1 (README figures); the
    # root seed drives the other steps
    assert shipped.score.random_state == 0 and shipped.seeds.bootstrap == 0
    assert shipped.seeds.umap == step_seeds(0).umap


@pytest.mark.parametrize(
    ("text", "seed", "message"),
    [
        ("seed = -1\n", None, "seed = -1: expected an integer from 0 to"),
        ('seed = "zero"\n', None, "seed must be int"),
        ("", -2, "--seed -2: expected an integer >= 0"),
    ],
)
def test_bad_seeds_are_refused_when_the_config_is_read(tmp_path, text, seed, message):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_experiment(path, seed=seed)
