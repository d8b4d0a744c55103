"""A trained fraud scorer: preprocessing + torch ensemble + Platt calibration + policy.

``predict_proba`` returns one calibrated probability of fraud per row (a 1-D array);
``score`` adds the policy decision and reason codes, which is what the serving
endpoint returns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.artifacts import read_manifest, write_manifest
from models.fraud.params import FraudParams
from models.fraud.policy import DecisionPolicy
from models.fraud.preprocess import Preprocessor
from models.fraud.trees import TreeMember

KIND = "fraud"
FORMAT_VERSION = 1


@dataclass
class FraudModel:
    params: FraudParams
    features: list[str]
    preprocessor: Preprocessor
    state_dicts: list[dict[str, Any]]
    calibration: tuple[float, float]  # Platt: p = sigmoid(a * logit + b)
    policy: DecisionPolicy
    metadata: dict[str, Any] = field(default_factory=dict)
    bins: list[list[float]] | None = None  # numeric bin edges, for piecewise embeddings
    tree: TreeMember | None = None  # boosted-tree member blended in log-odds (models/fraud/trees.py)

    def __post_init__(self) -> None:
        self._nets: list[Any] | None = None

    # ------------------------------------------------------------------ scoring
    def _networks(self) -> list[Any]:
        if self._nets is None:
            from models.fraud.net import build_net

            nets = []
            for state in self.state_dicts:
                net = build_net(
                    self.params, len(self.preprocessor.numeric), self.preprocessor.cardinalities(), self.bins
                )
                net.load_state_dict(state)
                net.eval()
                nets.append(net)
            self._nets = nets
        return self._nets

    def _check(self, df: pd.DataFrame) -> None:
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
        missing = [c for c in self.features if c not in df.columns]
        if missing:
            raise ValueError(f"missing feature column(s) {missing}")

    def _tensors(self, df: pd.DataFrame) -> tuple[Any, Any]:
        import torch

        return (
            torch.from_numpy(self.preprocessor.numeric_matrix(df)),
            torch.from_numpy(self.preprocessor.categorical_matrix(df)),
        )

    def network_logits(self, df: pd.DataFrame) -> np.ndarray:
        """Uncalibrated logits of the network ensemble (mean over members)."""
        import torch

        self._check(df)
        x_num, x_cat = self._tensors(df)
        with torch.no_grad():
            logits = [net(x_num, x_cat).numpy() for net in self._networks()]
        return np.mean(logits, axis=0).astype(float)

    def raw_logits(self, df: pd.DataFrame) -> np.ndarray:
        """Uncalibrated logits: the network ensemble, blended with the tree member when there is one."""
        logits = self.network_logits(df)
        if self.tree is None:
            return logits
        w = self.tree.weight
        return (1.0 - w) * logits + w * self.tree.margin(df, self.preprocessor)

    def calibrated(self, logits: np.ndarray) -> np.ndarray:
        """Platt-scaled probabilities for raw ensemble logits."""
        a, b = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * logits + b)))

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of fraud for each row (1-D array, same order as ``df``)."""
        return self.calibrated(self.raw_logits(df))

    def explain(self, df: pd.DataFrame, top_k: int = 3) -> list[list[str]]:
        """Reason codes per row from gradient x input attributions.

        Each feature's contribution is ``d logit / d x * (x - baseline)`` where the baseline
        is the training mean (0 after standardisation) and, for categoricals, the mean
        embedding. The ``top_k`` features pushing towards fraud become codes such as
        ``AMOUNT_HIGH`` or ``COUNTRY=NG``.
        """
        import torch

        self._check(df)
        x_num, x_cat = self._tensors(df)
        n_num = x_num.shape[1]
        total = np.zeros((len(df), n_num + x_cat.shape[1]))
        for net in self._networks():
            with torch.no_grad():
                emb = net.embed(x_cat)
                base = (
                    torch.cat([e.weight.mean(0) for e in net.embeddings]) if len(net.embeddings) else emb[:0]
                )
            xn = x_num.clone().requires_grad_(True)
            xe = emb.clone().requires_grad_(True)
            net.forward_features(xn, xe).sum().backward()
            total[:, :n_num] += (xn.grad * xn).detach().numpy()
            if len(net.embeddings):
                contrib = (xe.grad * (xe - base)).detach().numpy()
                start = 0
                for j, e in enumerate(net.embeddings):
                    total[:, n_num + j] += contrib[:, start : start + e.embedding_dim].sum(1)
                    start += e.embedding_dim
        names = self.preprocessor.numeric + self.preprocessor.categorical
        codes: list[list[str]] = []
        x_np = x_num.numpy()
        for i in range(len(df)):
            order = np.argsort(-total[i], kind="stable")[:top_k]
            row = []
            for j in order:
                if total[i, j] <= 0:
                    break
                if j < n_num:
                    row.append(f"{names[j].upper()}_{'HIGH' if x_np[i, j] > 0 else 'LOW'}")
                else:
                    row.append(f"{names[j].upper()}={df[names[j]].iloc[i]}")
            codes.append(row)
        return codes

    def score(self, df: pd.DataFrame, top_k: int = 3) -> pd.DataFrame:
        """``fraud_probability, decision, reason_codes`` per row: what serving returns."""
        proba = self.predict_proba(df)
        return pd.DataFrame(
            {
                "fraud_probability": proba,
                "decision": self.policy.decide(proba),
                "reason_codes": self.explain(df, top_k=top_k),
            },
            index=df.index,
        )

    # ------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        import torch

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        torch.save(self.state_dicts, path / "weights.pt")
        tree = self.tree.save(path) if self.tree is not None else None
        return write_manifest(
            path,
            KIND,
            FORMAT_VERSION,
            params=asdict(self.params),
            features=self.features,
            preprocessor=self.preprocessor.to_dict(),
            calibration=list(self.calibration),
            policy=self.policy.to_dict(),
            metadata=self.metadata,
            bins=self.bins,
            tree=tree,
        )

    @classmethod
    def load(cls, path: str | Path) -> FraudModel:
        import torch

        path = Path(path)
        meta = read_manifest(path, KIND, {FORMAT_VERSION})
        return cls(
            params=FraudParams(**meta["params"]),
            features=meta["features"],
            preprocessor=Preprocessor.from_dict(meta["preprocessor"]),
            state_dicts=torch.load(path / "weights.pt", weights_only=True),
            calibration=(float(meta["calibration"][0]), float(meta["calibration"][1])),
            policy=DecisionPolicy(**meta["policy"]),
            metadata=meta.get("metadata", {}),
            bins=meta.get("bins"),
            tree=TreeMember.load(path, meta["tree"]) if meta.get("tree") else None,
        )
