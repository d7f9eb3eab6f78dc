# SPDX-License-Identifier: MIT
"""libhvo from Python: the Linux kernel's HugeTLB Vmemmap Optimization,
simulated in a process.

A thin layer over the shared library (ctypes, nothing compiled)::

    import hvo

    m = hvo.Machine("x86_64:mem=1G")
    m.set_nr_hugepages("2M", 4)
    with m.measure() as d:
        m.restore(m.hugepage_pfns("2M")[0])
    print(d["hvo.restore"], m.hstate("2M").saved_bytes)
    report = m.report()            # the JSON report, as a dict

Every failure raises hvo.Error, an OSError whose errno is the library's
and whose ``reason`` is the library's reason. One Machine belongs to one
thread at a time; different machines may run on different threads
(doc/ABI.md, "Threads").

The library is found, in this order, at $HVO_LIBRARY (a path), as
libhvo.so.<soversion> on the loader's path (LD_LIBRARY_PATH, the system's
directories), and in the libdir the package was installed with.
"""
import ctypes
import dataclasses
import enum
import errno as _errno
import json
import os
import tempfile

from ctypes import (POINTER, Structure, byref, c_bool, c_char_p, c_int,
                    c_size_t, c_uint, c_uint64, c_void_p)

__all__ = ["Error", "Machine", "HState", "Counter", "Snapshot", "version",
           "presets", "parse_size", "counter_names", "VARIANTS"]

SOVERSION = "0"
VARIANTS = ("off", "keep2", "fakehead", "sharedtail")


def _load():
    names = []
    if os.environ.get("HVO_LIBRARY"):
        names.append(os.environ["HVO_LIBRARY"])
    names.append("libhvo.so." + SOVERSION)
    try:
        from . import _install  # written by meson install
        names.append(os.path.join(_install.LIBDIR,
                                  "libhvo.so." + SOVERSION))
    except ImportError:
        pass
    tried = []
    for name in names:
        try:
            return ctypes.CDLL(name)
        except OSError as e:
            tried.append(f"{name}: {e}")
    raise ImportError("hvo: cannot load libhvo (" + "; ".join(tried) +
                      "); set HVO_LIBRARY or LD_LIBRARY_PATH")


_lib = _load()
_libc = ctypes.CDLL(None)
_libc.fopen.restype = c_void_p
_libc.fopen.argtypes = [c_char_p, c_char_p]
_libc.fclose.argtypes = [c_void_p]


class _HStateInfo(Structure):
    """struct hvo_hstate_info, field for field (doc/ABI.md: its size and
    layout are fixed for the soname; new fields come out of reserved)."""
    _fields_ = [
        ("size", c_uint64),
        ("order", c_uint),
        ("name", c_char_p),
        ("nr", c_uint64),
        ("free", c_uint64),
        ("optimized", c_uint64),
        ("vmemmap_pages_per_hugepage", c_uint64),
        ("vmemmap_pages_freed_per_hugepage", c_uint64),
        ("saved_bytes", c_uint64),
        ("optimizable", c_bool),
        ("reason", c_char_p),
        ("resv", c_uint64),
        ("surplus", c_uint64),
        ("nr_overcommit", c_uint64),
        ("max_huge_pages", c_uint64),
        ("vmemmap_bytes_per_hugepage", c_uint64),
        ("vmemmap_bytes_freed_per_hugepage", c_uint64),
        ("reserved", c_uint64 * 8),
    ]


_M = c_void_p
_U64P = POINTER(c_uint64)
_PROTOS = {
    "hvo_version": (c_char_p, []),
    "hvo_kernel_newest": (c_char_p, []),
    "hvo_preset_count": (c_size_t, []),
    "hvo_preset_name": (c_char_p, [c_size_t]),
    "hvo_preset_spec": (c_char_p, [c_size_t]),
    "hvo_parse_size": (c_int, [c_char_p, _U64P]),
    "hvo_machine_new_from_spec": (c_int, [c_char_p, POINTER(_M), c_char_p,
                                          c_size_t]),
    "hvo_machine_free": (None, [_M]),
    "hvo_machine_error": (c_char_p, [_M]),
    "hvo_machine_check": (c_int, [_M]),
    "hvo_machine_hstate": (c_int, [_M, c_uint, POINTER(_HStateInfo)]),
    "hvo_machine_hstate_by_size": (c_int, [_M, c_uint64,
                                           POINTER(_HStateInfo)]),
    "hvo_set_nr_hugepages": (c_int, [_M, c_uint64, c_uint64]),
    "hvo_set_max_huge_pages": (c_int, [_M, c_uint64, c_uint64]),
    "hvo_hugepage_pfn": (c_int, [_M, c_uint64, c_uint64, _U64P]),
    "hvo_hugepage_optimize": (c_int, [_M, c_uint64]),
    "hvo_hugepage_restore": (c_int, [_M, c_uint64]),
    "hvo_set_variant": (c_int, [_M, c_int]),
    "hvo_variant_name": (c_char_p, [c_int]),
    "hvo_counter_count": (c_size_t, []),
    "hvo_counter_name": (c_char_p, [c_size_t]),
    "hvo_counter_help": (c_char_p, [c_size_t]),
    "hvo_counter_get": (c_int, [_M, c_int, _U64P]),
    "hvo_machine_counters_snapshot": (c_int, [_M, _U64P, c_size_t]),
    "hvo_machine_counters_delta": (c_int, [_M, _U64P, _U64P, c_size_t]),
    "hvo_machine_counters_reset": (None, [_M]),
    "hvo_machine_report_json": (c_int, [_M, _U64P, c_size_t, c_void_p]),
    "hvo_machine_dmesg": (c_int, [_M, c_char_p, c_size_t]),
}
for _name, (_res, _args) in _PROTOS.items():
    _f = getattr(_lib, _name)
    _f.restype = _res
    _f.argtypes = _args


class Error(OSError):
    """A call of libhvo failed: errno is its negative return negated,
    reason the library's reason, function the C function."""

    def __init__(self, function, rc, reason):
        code = -rc if rc < 0 else _errno.EINVAL
        super().__init__(code, reason or os.strerror(code))
        self.function = function
        self.reason = reason or os.strerror(code)

    def __str__(self):
        return (f"{self.function}: {self.reason} "
                f"({_errno.errorcode.get(self.errno, self.errno)})")


def _s(b):
    return b.decode() if b is not None else None


def version():
    """The version of the loaded library, "MAJOR.MINOR.MICRO"."""
    return _s(_lib.hvo_version())


def kernel_newest():
    """The newest Linux release libhvo models."""
    return _s(_lib.hvo_kernel_newest())


def presets():
    """{name: spec} of the named machine presets."""
    return {_s(_lib.hvo_preset_name(i)): _s(_lib.hvo_preset_spec(i))
            for i in range(_lib.hvo_preset_count())}


def parse_size(size):
    """A size in bytes: an int as it is, a string as the kernel's
    memparse() reads it ("2M", "1G", "0x200000")."""
    if isinstance(size, int):
        if size < 0:
            raise ValueError(f"size {size}: must not be negative")
        return size
    out = c_uint64()
    rc = _lib.hvo_parse_size(str(size).encode(), byref(out))
    if rc:
        raise Error("hvo_parse_size", rc,
                    f"'{size}' is not a size (memparse(): a number, "
                    f"then at most one of K M G T P E)")
    return out.value


def counter_names():
    """The counters every machine keeps, in the order of enum hvo_counter."""
    return [_s(_lib.hvo_counter_name(i))
            for i in range(_lib.hvo_counter_count())]


def _counter_member(name):
    return "".join(c if c.isalnum() else "_" for c in name).upper()


# enum hvo_counter, from the loaded library's own list: counter i is
# named hvo_counter_name(i) ("hvo.optimize" is Counter.HVO_OPTIMIZE).
Counter = enum.IntEnum("Counter", [(_counter_member(n), i)
                                   for i, n in enumerate(counter_names())])


@dataclasses.dataclass(frozen=True)
class HState:
    """A hugepage size and its pool (struct hvo_hstate_info)."""
    size: int
    order: int
    name: str
    nr: int
    free: int
    optimized: int
    vmemmap_pages_per_hugepage: int
    vmemmap_pages_freed_per_hugepage: int
    saved_bytes: int
    optimizable: bool
    reason: str
    resv: int
    surplus: int
    nr_overcommit: int
    max_huge_pages: int
    vmemmap_bytes_per_hugepage: int
    vmemmap_bytes_freed_per_hugepage: int

    @classmethod
    def _from_c(cls, h):
        kw = {}
        for f in dataclasses.fields(cls):
            v = getattr(h, f.name)
            kw[f.name] = _s(v) if isinstance(v, bytes) or v is None else v
        return cls(**kw)


class Snapshot:
    """The counters of a machine at one moment (Machine.snapshot())."""

    def __init__(self, n):
        self._n = n
        self._vals = (c_uint64 * n)()

    def __getitem__(self, counter):
        return self._vals[_counter_index(counter)]

    def as_dict(self):
        return {name: self._vals[i]
                for i, name in enumerate(counter_names()[:self._n])}


def _counter_index(counter):
    if isinstance(counter, str):
        names = counter_names()
        if counter not in names:
            raise KeyError(f"no counter is named '{counter}' "
                           f"(hvo.counter_names() lists them)")
        return names.index(counter)
    return int(counter)


class _Measure(dict):
    """What Machine.measure() yields: filled with the deltas on exit."""

    def __init__(self, machine):
        super().__init__()
        self._m = machine
        self._snap = None

    def __enter__(self):
        self._snap = self._m.snapshot()
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.update(self._m.delta(self._snap))
        return False


class Machine:
    """A simulated machine, built and booted from a spec
    ("arm64:granule=16K,va=47", a preset name, ...)."""

    def __init__(self, spec):
        m = _M()
        err = ctypes.create_string_buffer(512)
        rc = _lib.hvo_machine_new_from_spec(spec.encode(), byref(m), err,
                                            len(err))
        if rc:
            raise Error("hvo_machine_new_from_spec", rc, _s(err.value))
        self._m = m
        self.spec = spec

    # -- life ----------------------------------------------------------
    def close(self):
        """Free the machine now (it is freed when collected anyway)."""
        if getattr(self, "_m", None):
            _lib.hvo_machine_free(self._m)
            self._m = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _handle(self):
        if not self._m:
            raise ValueError("hvo: the machine was closed")
        return self._m

    def _call(self, name, *args):
        rc = getattr(_lib, name)(self._handle(), *args)
        if rc:
            raise Error(name, rc, self.error)
        return rc

    @property
    def error(self):
        """The reason of the last failed call on this machine."""
        return _s(_lib.hvo_machine_error(self._handle()))

    def check(self):
        """Prove the machine's invariants; raise Error on the first
        broken rule."""
        self._call("hvo_machine_check")

    def dmesg(self):
        """The machine's kernel log."""
        buf = ctypes.create_string_buffer(65536 + 1)
        self._call("hvo_machine_dmesg", buf, len(buf))
        return _s(buf.value)

    # -- pools and HVO ---------------------------------------------------
    def hstates(self):
        """Every hugepage size of the machine, smallest first."""
        out, i = [], 0
        h = _HStateInfo()
        while _lib.hvo_machine_hstate(self._handle(), i, byref(h)) == 0:
            out.append(HState._from_c(h))
            i += 1
        return out

    def hstate(self, size):
        """The hstate of hugepages of SIZE (bytes or "2M")."""
        h = _HStateInfo()
        self._call("hvo_machine_hstate_by_size", parse_size(size), byref(h))
        return HState._from_c(h)

    def set_nr_hugepages(self, size, nr):
        """Make the pool of SIZE exactly NR hugepages, all or nothing."""
        self._call("hvo_set_nr_hugepages", parse_size(size), nr)

    def set_max_huge_pages(self, size, nr):
        """The kernel's resize (a write to nr_hugepages): as many as fit."""
        self._call("hvo_set_max_huge_pages", parse_size(size), nr)

    def hugepage_pfns(self, size):
        """The head pfns of the pool of SIZE, in pool order."""
        size = parse_size(size)
        out, pfn = [], c_uint64()
        while True:
            rc = _lib.hvo_hugepage_pfn(self._handle(), size, len(out),
                                       byref(pfn))
            if rc == -_errno.ENOENT:
                return out
            if rc:
                raise Error("hvo_hugepage_pfn", rc, self.error)
            out.append(pfn.value)

    def optimize(self, pfn):
        """Optimize the vmemmap of the free hugepage at PFN."""
        self._call("hvo_hugepage_optimize", pfn)

    def restore(self, pfn):
        """Restore the vmemmap of the free hugepage at PFN."""
        self._call("hvo_hugepage_restore", pfn)

    def set_variant(self, variant):
        """vm.hugetlb_optimize_vmemmap: the variant for hugepages
        allocated from now on ("off", "keep2", "fakehead", "sharedtail")."""
        if variant not in VARIANTS:
            raise ValueError(f"variant '{variant}': allowed are "
                             f"{', '.join(VARIANTS)}")
        self._call("hvo_set_variant", VARIANTS.index(variant))

    # -- counters --------------------------------------------------------
    def counter(self, counter):
        """One counter, by name ("tlb.hit") or Counter member."""
        val = c_uint64()
        self._call("hvo_counter_get", _counter_index(counter), byref(val))
        return val.value

    def counters(self):
        """{name: value} of every counter."""
        return self.snapshot().as_dict()

    def reset_counters(self):
        _lib.hvo_machine_counters_reset(self._handle())

    def snapshot(self):
        """The counters now, to pass to delta() later."""
        snap = Snapshot(_lib.hvo_counter_count())
        self._call("hvo_machine_counters_snapshot", snap._vals, snap._n)
        return snap

    def delta(self, snapshot):
        """{name: counted since snapshot} of every counter."""
        d = (c_uint64 * snapshot._n)()
        self._call("hvo_machine_counters_delta", snapshot._vals, d,
                   snapshot._n)
        return {name: d[i]
                for i, name in enumerate(counter_names()[:snapshot._n])}

    def measure(self):
        """A context: ``with m.measure() as d: ...`` leaves in d the
        counters the block moved, by name."""
        return _Measure(self)

    # -- the report ------------------------------------------------------
    def report(self, walks=()):
        """The JSON report of hvo_machine_report_json(), as a dict; WALKS
        are kernel virtual addresses to walk in it."""
        va = (c_uint64 * max(len(walks), 1))(*walks)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "report.json")
            f = _libc.fopen(path.encode(), b"w")
            if not f:
                raise OSError(ctypes.get_errno(), "fopen", path)
            rc = _lib.hvo_machine_report_json(self._handle(), va,
                                              len(walks), f)
            _libc.fclose(f)
            if rc:
                raise Error("hvo_machine_report_json", rc, self.error)
            with open(path) as r:
                return json.load(r)
