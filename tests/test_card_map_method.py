"""The card names the method that drew the 2-D map, just above the figures (issue 13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from card_sample import PNG, _sample  # tests/card_sample.py: the invented card

from border_readiness.clustering.embedding import embed_2d
from border_readiness.experiments.card import CardData, render_card
from border_readiness.experiments.card.build import _map_sentence


def test_the_sentence_names_pca_for_a_dozen_regions_and_why():
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(12, 5)))
    sentence = _map_sentence(embed_2d(X, random_state=0))
    assert sentence.startswith("The map of the regions (figure embedding) is drawn with PCA (")
    assert "UMAP is used from 30 regions up" in sentence  # the reason, from the map's notes


def test_the_sentence_stands_just_above_the_map_in_the_markdown():
    card = _sample()
    card["quantitative_analyses"]["map_method"] = "The map is drawn with PCA."
    md = render_card(CardData.from_dict(card, {"embedding": PNG}), ["md"])["MODEL_CARD.md"]
    text = md.decode()
    said = text.index("The map is drawn with PCA.")
    # The summary shows the map first; the figures of the analyses come after the sentence.
    figure = text.index("(figures/embedding.png)", said)
    assert said < figure
    headings = [line for line in text[said:figure].splitlines() if line.startswith("#")]
    assert headings == ["### Figures"]  # nothing else comes between the sentence and the map


def test_a_card_recorded_before_says_the_method_was_not_recorded():
    card = _sample()
    del card["quantitative_analyses"]["map_method"]
    data = CardData.from_dict(card)
    assert data.quantitative_analyses["map_method"].startswith("Not recorded")
