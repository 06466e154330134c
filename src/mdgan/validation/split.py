"""Split of the MD into training, selection and held-out parts: whole runs or fractions of their frames.

A part is a list of pieces; a piece is a run name (the whole run) or ``{run, start, stop}`` with
``start``/``stop`` fractions of the run's frames (frames ``floor(start * n)`` to ``floor(stop * n)``).
Pieces of different parts never share a frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from mdgan.errors import InputError
from mdgan.extract import IonTracks

PARTS = ("training", "selection", "heldout")


@dataclass(frozen=True)
class Piece:
    """Frames [start, stop) of a run, as fractions of its frames."""

    run: str
    start: float = 0.0
    stop: float = 1.0

    @property
    def label(self) -> str:
        if (self.start, self.stop) == (0.0, 1.0):
            return self.run
        return f"{self.run}[{self.start:g}:{self.stop:g}]"

    def frames(self, n_frames: int) -> slice:
        return slice(math.floor(self.start * n_frames), math.floor(self.stop * n_frames))


def parse_split(split: dict, runs) -> dict[str, list[Piece]]:
    """The config's ``validation.split`` as pieces per part, checked against the runs.

    Refused: a part without pieces, an unknown run, start >= stop, two pieces sharing frames.
    """
    parsed = {}
    for part in PARTS:
        items = split.get(part) or []
        if not items:
            raise InputError(f"config key validation.split.{part}: needs at least one run or piece of a run")
        pieces = []
        for item in items:
            piece = Piece(item) if isinstance(item, str) else Piece(item["run"], item.get("start", 0.0), item.get("stop", 1.0))
            if piece.run not in runs:
                raise InputError(f"config key validation.split.{part}: unknown run {piece.run!r} (runs: {sorted(runs)})")
            if not 0.0 <= piece.start < piece.stop <= 1.0:
                raise InputError(
                    f"config key validation.split.{part}: run {piece.run}: need 0 <= start < stop <= 1, "
                    f"got start {piece.start}, stop {piece.stop}"
                )
            pieces.append(piece)
        parsed[part] = pieces
    everything = [(part, p) for part in PARTS for p in parsed[part]]
    for i, (part_a, a) in enumerate(everything):
        for part_b, b in everything[i + 1 :]:
            if a.run == b.run and a.start < b.stop and b.start < a.stop:
                raise InputError(
                    f"config key validation.split: {part_a} piece {a.label} and {part_b} piece {b.label} share frames"
                )
    return parsed


def runs_of(pieces: list[Piece]) -> list[str]:
    """The runs the pieces come from, each once, in order."""
    return list(dict.fromkeys(p.run for p in pieces))


def slice_tracks(tracks: IonTracks, frames: slice) -> IonTracks:
    """The frames ``frames`` of a run's tracks (times kept from the run's start)."""
    return replace(
        tracks,
        positions_ang=tracks.positions_ang[frames],
        time_ps=tracks.time_ps[frames],
        cell_ang=tracks.cell_ang[frames],
    )


def part_tracks(pieces: list[Piece], tracks_by_run: dict[str, IonTracks]) -> dict[str, IonTracks]:
    """Tracks of every piece of a part, by piece label; a piece with fewer than 2 frames is refused."""
    out = {}
    for piece in pieces:
        full = tracks_by_run[piece.run]
        sliced = slice_tracks(full, piece.frames(full.n_frames))
        if sliced.n_frames < 2:
            raise InputError(
                f"validation piece {piece.label} ({full.source}): {sliced.n_frames} of {full.n_frames} frames; "
                "a piece needs at least 2"
            )
        out[piece.label] = sliced
    return out


def pieces_from_params(items: list[dict]) -> list[Piece]:
    """Pieces from their plain form (``piece_params``), as the rules pass them."""
    return [Piece(d["run"], float(d["start"]), float(d["stop"])) for d in items]


def piece_params(pieces: list[Piece]) -> list[dict]:
    """Plain values of pieces, for a rule's ``params:`` (a change reruns the rule)."""
    return [{"run": p.run, "start": float(p.start), "stop": float(p.stop)} for p in pieces]


def load_part(pieces: list[Piece], track_paths: dict[str, str]) -> dict[str, IonTracks]:
    """Tracks of every piece, read from the runs' ``li_unwrapped.npz`` (run -> path)."""
    from mdgan.extract import load_tracks

    tracks_by_run = {run: load_tracks(track_paths[run]) for run in runs_of(pieces)}
    return part_tracks(pieces, tracks_by_run)
