"""Themes inside each pain and delight, computed once when feedback is tagged and stored.

For each (aspect, sentiment) group of tagged records: k-means over TF-IDF of the comments'
syllables and bigrams (fitted on a deterministic sample, every record then assigned), each
theme named by its most characteristic terms and represented by a short comment near its
centre. A question then only counts the stored themes of the records in its scope, so no
clustering runs while someone waits for an answer. A group is recomputed when its number of
records changed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import numpy as np
from tqdm import tqdm

from assistant.core.text import nfc, words
from assistant.feedback.store import FeedbackStore

THEME_SAMPLE = 1500
MIN_RECORDS = 12
_STOP = set(
    "máy mình là và có thì không mà của cho với được nhưng cũng rất này nó em anh ạ nha "
    "như lắm quá hơi đã đang sẽ để khi còn ra vào lại thấy dùng mua ko k đc thế gì bị"
    .split()
)  # fmt: skip


def _analyzer(text: str) -> list[str]:
    toks = [t for t in words(nfc(text).lower()) if t not in _STOP and not t.isdigit()]
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]


Group = list[tuple[str, str, list[str]]]


def cluster(ids: list[str], texts: dict[str, str], k_max: int = 3) -> Group:
    """(label, representative record id, member ids) of each theme of one group."""
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [i for i in ids if i in texts]
    if len(docs) < MIN_RECORDS:
        return []
    sample = sorted(docs, key=lambda i: hashlib.md5(i.encode()).hexdigest())[:THEME_SAMPLE]
    vec = TfidfVectorizer(analyzer=_analyzer, min_df=3, max_df=0.5, sublinear_tf=True)
    try:
        x_sample = vec.fit_transform([texts[i] for i in sample])
    except ValueError:  # vocabulary empty after pruning
        return []
    k = max(2, min(k_max, len(sample) // 40))
    km = KMeans(n_clusters=k, n_init=4, random_state=0).fit(x_sample)
    x_all = vec.transform([texts[i] for i in docs])
    assign = km.predict(x_all)
    terms = np.array(vec.get_feature_names_out())
    out = []
    for c in range(k):
        members = np.flatnonzero(assign == c)
        if len(members) == 0:
            continue
        center = km.cluster_centers_[c]
        order = np.argsort(-center)
        top = [t for t in terms[order[:12]] if " " in t][:2] or list(terms[order[:2]])
        closeness = np.asarray(x_all[members] @ center).ravel()
        # Of the five comments closest to the theme's centre, the shortest represents it.
        near = members[np.argsort(-closeness)[:5]]
        rep = min((docs[i] for i in near), key=lambda r: len(texts[r]))
        out.append((", ".join(top), rep, [docs[i] for i in members]))
    return out


def compute_themes(store: FeedbackStore, progress: bool = True) -> int:
    """(Re)compute the themes of every group whose number of records changed; return the
    number of groups computed."""
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rid, aspect, sentiment in store.all_tags():
        if sentiment in ("negative", "positive"):
            groups[(aspect, sentiment)].append(rid)
    known = store.theme_group_sizes()
    todo = [g for g, ids in groups.items() if known.get(g) != len(ids)]
    for group in tqdm(todo, desc="themes", unit="group", disable=not progress or not todo):
        ids = sorted(groups[group])
        themes = cluster(ids, store.texts(ids))
        store.set_themes(group[0], group[1], len(ids), themes)
    return len(todo)
