"""The torch network: an MLP over numeric inputs plus categorical embeddings.

Numeric columns can go in as they are (``numeric_embedding="none"``) or through learned
per-feature embeddings from ``rtdl_num_embeddings`` (Gorishniy et al., "On Embeddings for
Numerical Features in Tabular Deep Learning", 2022): periodic (PLR) or piecewise-linear
(PLE over quantile bins). Both give a plain MLP the sharp, threshold-like responses that
make gradient-boosted trees strong on tabular data.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from models.fraud.params import FraudParams

NUMERIC_EMBEDDINGS = ("none", "periodic", "piecewise")


def embedding_dim(cardinality: int) -> int:
    """fast.ai's rule of thumb, capped: enough capacity without overfitting rare values."""
    return int(min(16, max(2, round(1.6 * cardinality**0.56))))


def numeric_embedder(
    kind: str, n_numeric: int, d_embedding: int, sigma: float, bins: list[list[float]] | None
) -> nn.Module | None:
    """The per-feature numeric embedding module, or None for raw inputs."""
    if kind == "none" or n_numeric == 0:
        return None
    import rtdl_num_embeddings as rtdl

    if kind == "periodic":
        return rtdl.PeriodicEmbeddings(
            n_numeric, d_embedding, n_frequencies=48, frequency_init_scale=sigma, lite=False
        )
    if kind == "piecewise":
        if not bins:
            raise ValueError("piecewise numeric embeddings need the training bins")
        edges = [torch.tensor(b, dtype=torch.float32) for b in bins]
        return rtdl.PiecewiseLinearEmbeddings(edges, d_embedding, activation=True, version="B")
    raise ValueError(f"numeric_embedding {kind!r}: choose one of {list(NUMERIC_EMBEDDINGS)}")


class FraudNet(nn.Module):
    def __init__(
        self,
        n_numeric: int,
        cardinalities: list[int],
        hidden: list[int],
        dropout: float,
        numeric_embedding: nn.Module | None = None,
        d_numeric: int = 1,
    ) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(c, embedding_dim(c)) for c in cardinalities)
        self.numeric_embedding = numeric_embedding
        d_num = d_numeric if numeric_embedding is not None else 1
        width = n_numeric * d_num + sum(e.embedding_dim for e in self.embeddings)
        layers: list[nn.Module] = []
        for h in hidden:
            layers += [nn.Linear(width, h), nn.BatchNorm1d(h), nn.SiLU(), nn.Dropout(dropout)]
            width = h
        layers.append(nn.Linear(width, 1))
        self.mlp = nn.Sequential(*layers)

    def embed(self, x_cat: torch.Tensor) -> torch.Tensor:
        if not len(self.embeddings):
            return x_cat.new_zeros((x_cat.shape[0], 0), dtype=torch.float32)
        return torch.cat([emb(x_cat[:, i]) for i, emb in enumerate(self.embeddings)], dim=1)

    def forward_features(self, x_num: torch.Tensor, x_emb: torch.Tensor) -> torch.Tensor:
        """Logits from numeric inputs and already-embedded categoricals (for attributions)."""
        if self.numeric_embedding is not None:
            x_num = self.numeric_embedding(x_num).flatten(1)
        return self.mlp(torch.cat([x_num, x_emb], dim=1)).squeeze(1)

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x_num, self.embed(x_cat))


def build_net(
    params: FraudParams, n_numeric: int, cardinalities: list[int], bins: list[list[float]] | None
) -> FraudNet:
    """The network ``params`` describes; the one constructor for training and loading."""
    embedder = numeric_embedder(
        params.numeric_embedding, n_numeric, params.numeric_embedding_dim, params.periodic_sigma, bins
    )
    return FraudNet(
        n_numeric, cardinalities, params.hidden, params.dropout, embedder, params.numeric_embedding_dim
    )


def quantile_bins(x_num: torch.Tensor, n_bins: int) -> list[list[float]]:
    """Quantile bin edges per numeric column of the (preprocessed) training matrix."""
    import rtdl_num_embeddings as rtdl

    n = min(n_bins, max(2, x_num.shape[0] - 1))
    return [b.tolist() for b in rtdl.compute_bins(x_num, n)]


def init_bias(net: FraudNet, prior: float) -> None:
    """Start the output at the base rate so early epochs don't waste steps on the prior."""
    last = net.mlp[-1]
    assert isinstance(last, nn.Linear)
    with torch.no_grad():
        last.bias.fill_(math.log(prior / (1 - prior)))
