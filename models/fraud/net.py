"""The torch network: an MLP over standardised numerics plus categorical embeddings."""

from __future__ import annotations

import math

import torch
from torch import nn


def embedding_dim(cardinality: int) -> int:
    """fast.ai's rule of thumb, capped: enough capacity without overfitting rare values."""
    return int(min(16, max(2, round(1.6 * cardinality**0.56))))


class FraudNet(nn.Module):
    def __init__(self, n_numeric: int, cardinalities: list[int], hidden: list[int], dropout: float) -> None:
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(c, embedding_dim(c)) for c in cardinalities)
        width = n_numeric + sum(e.embedding_dim for e in self.embeddings)
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
        """Logits from already-embedded inputs (used for gradient attributions)."""
        return self.mlp(torch.cat([x_num, x_emb], dim=1)).squeeze(1)

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x_num, self.embed(x_cat))


def init_bias(net: FraudNet, prior: float) -> None:
    """Start the output at the base rate so early epochs don't waste steps on the prior."""
    last = net.mlp[-1]
    assert isinstance(last, nn.Linear)
    with torch.no_grad():
        last.bias.fill_(math.log(prior / (1 - prior)))
