"""Paths a campaign may reach: its own folder tree, or folders allowed explicitly.

A campaign file's ``lab:`` and every ``results_dir`` of that lab (the folders
instruments write to and dbtl reads from) must resolve, symlinks followed,
inside the folder of the campaign file or inside a folder passed with
``--allow-path DIR``. So ``lab: ../../etc/passwd`` or a results folder
pointing at someone's home directory is refused when the campaign is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from lab.devices.lab_spec import LabSpec
from lab.specs.yamlio import SpecError


def allowed_roots(campaign_path: Path, allow_paths: Iterable[Path] = ()) -> list[Path]:
    """The folders a campaign may reach: its own and the explicitly allowed ones, resolved."""
    return [campaign_path.resolve().parent, *(Path(p).resolve() for p in allow_paths)]


def inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether ``path`` (resolved, symlinks followed) lies in one of ``roots``."""
    resolved = path.resolve()
    return any(resolved == root or resolved.is_relative_to(root) for root in roots)


def refuse_outside(path: Path, roots: Sequence[Path], what: str) -> None:
    """Raise if ``path`` resolves outside every root.

    Args:
        path: The path as the file gives it (already joined to its folder).
        roots: See :func:`allowed_roots`.
        what: Where the path was given, e.g. ``campaign.yaml:3: lab``.

    Raises:
        SpecError: Naming the resolved path, the campaign's folder and the fix.
    """
    if inside(path, roots):
        return
    raise SpecError(
        f"{what}: {path.resolve()} is outside the campaign's folder {roots[0]}; move it "
        "there or pass --allow-path DIR to allow the folder holding it"
    )


def refuse_lab_outside(lab_path: Path, lab: LabSpec, roots: Sequence[Path]) -> None:
    """Raise if a folder a device writes into (``results_dir``) resolves outside ``roots``."""
    for index, device in enumerate(lab.devices):
        for key, folder in device.settings.paths().items():
            refuse_outside(folder, roots, f"{lab_path}: devices[{index}].{key}")
