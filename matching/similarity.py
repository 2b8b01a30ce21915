"""The similarity scale shown to reviewers and used by the policy's ``min_similarity``.

The face model compares 128-d embeddings by Euclidean distance ``d`` (smaller is closer). The
policy speaks of a normalized similarity in [0, 1]. Probity defines

    similarity = max(0, 1 - d**2 / 1.8)

so 0.80 falls exactly on the model's published same-person tolerance (d = 0.6); 0.85 is
d ≈ 0.52 and 0.90 is d ≈ 0.42. On the labeled evaluation set (1,440 photos), d = 0.6 accepted
0.47 % of impostor pairs and 97.3 % of genuine ones, and d = 0.554 accepted 0.1 % of impostors.
The mapping is monotonic, so ranking by similarity equals ranking by distance.
"""

from __future__ import annotations

import math

SCALE = 1.8


def similarity_from_distance(distance: float) -> float:
    """Return the similarity for a Euclidean distance."""
    return max(0.0, 1.0 - distance * distance / SCALE)


def distance_for_similarity(similarity: float) -> float:
    """Return the largest distance whose similarity is at least ``similarity``."""
    bounded = min(max(similarity, 0.0), 1.0)
    return math.sqrt(SCALE * (1.0 - bounded))
