"""The product's shape, checked on its source: the lab stays outside, nothing installs packages.

Walks the AST of every module under ``netprov/`` and fails on

* an import of the lab package ``netprov_lab`` (``import``, ``from ... import``,
  ``importlib.import_module("netprov_lab...")`` / ``__import__``). The only exception: the CLI
  modules that run lab commands (:data:`LAZY_LAB_IMPORTERS`) may import it *inside a function*,
  so the lab is loaded when such a command runs and never by ``import netprov...``;
* a subprocess or ``os`` call whose argv starts with a package manager (``apt-get install`` ...),
  given as a list/tuple literal, a string (shell command), an f-string, or a name bound to one
  of those in the same module.

It also checks that ``napalm_frr`` imports nothing of netprov (it could be published alone),
and that importing the CLI and printing its help does not load ``netprov_lab``. The checker
itself is tested on synthetic modules, so a silent checker cannot pass.
"""

from __future__ import annotations

import ast
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRODUCT = REPO / "netprov"
LAB_PACKAGE = "netprov_lab"
LAZY_LAB_IMPORTERS = frozenset({"netprov/cli/lab.py", "netprov/cli/demo.py", "netprov/cli/render.py"})
PACKAGE_MANAGERS = frozenset(
    {
        "apt",
        "apt-get",
        "aptitude",
        "dpkg",
        "pip",
        "pip3",
        "uv",
        "yum",
        "dnf",
        "apk",
        "npm",
        "conda",
        "snap",
        "zypper",
        "pacman",
        "rpm",
    }
)
WRAPPERS = frozenset({"sudo", "env", "nice", "ionice", "nohup", "timeout", "doas"})
SUBPROCESS_CALLS = frozenset(
    {"run", "Popen", "check_call", "check_output", "call", "getoutput", "getstatusoutput"}
)
OS_CALLS = frozenset(
    {
        "system",
        "popen",
        "execv",
        "execvp",
        "execvpe",
        "execl",
        "execlp",
        "spawnv",
        "spawnvp",
        "spawnl",
        "spawnlp",
        "posix_spawn",
        "posix_spawnp",
    }
)
IMPORT_CALLS = frozenset({"import_module", "__import__", "find_spec"})


@dataclass(frozen=True)
class Violation:
    """One offending line of a module."""

    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _is_lab(module: str | None) -> bool:
    return module is not None and (module == LAB_PACKAGE or module.startswith(LAB_PACKAGE + "."))


def _call_name(func: ast.expr) -> tuple[str | None, str]:
    """``(owner, name)`` of a call: ``subprocess.run`` -> ("subprocess", "run"), ``run`` -> (None, "run")."""
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        return owner, func.attr
    if isinstance(func, ast.Name):
        return None, func.id
    return None, ""


def _program(words: list[str]) -> str | None:
    """The program an argv runs, past wrappers (sudo, env VAR=x) and ``python -m``."""
    rest = list(words)
    while rest and (Path(rest[0]).name in WRAPPERS or "=" in rest[0] or rest[0].startswith("-")):
        rest.pop(0)
    if not rest:
        return None
    prog = Path(rest[0]).name
    if prog.startswith("python") and len(rest) >= 3 and rest[1] == "-m":
        return rest[2]
    return prog


class _Checker(ast.NodeVisitor):
    def __init__(self, path: str, tree: ast.Module) -> None:
        self.path = path
        self.found: list[Violation] = []
        self.depth = 0  # > 0 inside a function body
        self.subprocess_names = {"subprocess"}
        self.os_names = {"os"}
        self.bare_calls: set[str] = set()  # from subprocess import run -> "run"
        self.lists = _bound_sequences(tree)

    # --- imports of the lab -------------------------------------------------------------------

    def _lab_import(self, node: ast.stmt | ast.expr, module: str) -> None:
        if self.depth > 0 and self.path in LAZY_LAB_IMPORTERS:
            return
        where = "at module level" if self.depth == 0 else "outside the CLI's lab commands"
        self.found.append(Violation(self.path, node.lineno, f"imports {module} {where}"))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _is_lab(alias.name):
                self._lab_import(node, alias.name)
            if alias.name == "subprocess":
                self.subprocess_names.add(alias.asname or alias.name)
            if alias.name == "os":
                self.os_names.add(alias.asname or alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and _is_lab(node.module):
            self._lab_import(node, str(node.module))
        if node.level == 0 and node.module in ("subprocess", "os"):
            allowed = SUBPROCESS_CALLS if node.module == "subprocess" else OS_CALLS
            self.bare_calls |= {a.asname or a.name for a in node.names if a.name in allowed}

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function(node)

    # --- calls ----------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        owner, name = _call_name(node.func)
        if name in IMPORT_CALLS and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _is_lab(arg.value):
                self._lab_import(node, arg.value)
        runs = (
            (owner in self.subprocess_names and name in SUBPROCESS_CALLS)
            or (owner in self.os_names and name in OS_CALLS)
            or (owner is None and name in self.bare_calls)
        )
        if runs:
            self._check_argv(node)
        self.generic_visit(node)

    def _check_argv(self, node: ast.Call) -> None:
        args = list(node.args) + [k.value for k in node.keywords if k.arg in ("args", "cmd", "file")]
        for arg in args:
            words = self._words(arg)
            if words is None:
                continue
            prog = _program(words)
            if prog in PACKAGE_MANAGERS:
                self.found.append(Violation(self.path, node.lineno, f"runs the package manager {prog}"))
            return

    def _words(self, arg: ast.expr) -> list[str] | None:
        """The leading words of an argv expression, as far as they are literal."""
        if isinstance(arg, ast.Name) and arg.id in self.lists:
            arg = self.lists[arg.id]
        if isinstance(arg, ast.List | ast.Tuple):
            words: list[str] = []
            for elt in arg.elts:
                if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                    words.append(elt.value)
                elif ast.unparse(elt) == "sys.executable":
                    words.append("python")
                else:
                    break
            return words
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return _split(arg.value)
        if isinstance(arg, ast.JoinedStr) and arg.values:
            head = arg.values[0]
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                return _split(head.value)
        return None


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def _bound_sequences(tree: ast.Module) -> dict[str, ast.expr]:
    """Names bound (anywhere in the module) to a list/tuple/str literal: ``cmd = ["apt-get", ...]``."""
    bound: dict[str, ast.expr] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple | ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound[target.id] = node.value
    return bound


def check_source(source: str, path: str) -> list[Violation]:
    """Every violation in one module's source; ``path`` is relative to the repository."""
    tree = ast.parse(source, filename=path)
    checker = _Checker(path, tree)
    checker.visit(tree)
    return checker.found


def product_modules() -> Iterator[Path]:
    yield from sorted(PRODUCT.rglob("*.py"))


# --- the product --------------------------------------------------------------------------------


def test_product_has_modules() -> None:
    assert len(list(product_modules())) > 50


@pytest.mark.parametrize("path", list(product_modules()), ids=lambda p: str(p.relative_to(REPO)))
def test_product_module_keeps_the_lab_out_and_installs_nothing(path: Path) -> None:
    rel = path.relative_to(REPO).as_posix()
    found = check_source(path.read_text(encoding="utf-8"), rel)
    assert not found, "\n".join(str(v) for v in found)


def test_lazy_lab_importers_exist() -> None:
    """The allow-list names real modules (a rename must not silently widen it)."""
    for rel in LAZY_LAB_IMPORTERS:
        assert (REPO / rel).is_file(), rel


def test_napalm_frr_imports_nothing_of_netprov() -> None:
    found: list[str] = []
    for path in sorted((REPO / "napalm_frr").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            found += [
                f"{path.relative_to(REPO)}:{node.lineno}: {n}"
                for n in names
                if n == "netprov" or n.startswith(("netprov.", "netprov_lab"))
            ]
    assert not found, found


def _lab_modules_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport sys\n"
        f"print(','.join(m for m in sys.modules if m == {LAB_PACKAGE!r} "
        f"or m.startswith({LAB_PACKAGE + '.'!r})))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, timeout=120, check=True
    )
    return [m for m in proc.stdout.strip().split(",") if m]


def test_importing_the_cli_does_not_load_the_lab() -> None:
    assert _lab_modules_after("import netprov.cli.main") == []


def test_netprov_help_does_not_load_the_lab() -> None:
    code = (
        "from typer.testing import CliRunner\n"
        "from netprov.cli.main import app\n"
        "for args in (['--help'], ['lab', '--help'], ['templates', '--help']):\n"
        "    r = CliRunner().invoke(app, args)\n"
        "    assert r.exit_code == 0, r.output"
    )
    assert _lab_modules_after(code) == []


def test_lab_command_without_the_lab_package_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from netprov.cli.lab import LAB_MISSING, lab_required
    from netprov.errors import LabError

    monkeypatch.setitem(sys.modules, LAB_PACKAGE, None)  # import netprov_lab -> ModuleNotFoundError
    with pytest.raises(LabError) as err, lab_required():
        import netprov_lab  # noqa: F401
    assert str(err.value) == LAB_MISSING
    with pytest.raises(ModuleNotFoundError), lab_required():  # other missing modules pass through
        import netprov_no_such_module  # type: ignore[import-not-found]  # noqa: F401


# --- the checker, on synthetic modules ------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("import netprov_lab\n", "imports netprov_lab at module level"),
        ("import netprov_lab.devices as d\n", "imports netprov_lab.devices"),
        ("from netprov_lab import Progress\n", "imports netprov_lab"),
        ("from netprov_lab.devices_sys import ensure_packages\n", "imports netprov_lab.devices_sys"),
        ("def f():\n    from netprov_lab import part\n", "outside the CLI's lab commands"),
        ("import importlib\nimportlib.import_module('netprov_lab.netbox')\n", "imports netprov_lab.netbox"),
        ("from importlib import import_module\nm = import_module('netprov_lab')\n", "imports netprov_lab"),
        ("__import__('netprov_lab.demo')\n", "imports netprov_lab.demo"),
        ("import subprocess\nsubprocess.run(['apt-get', 'install', '-y', 'frr'])\n", "apt-get"),
        ("import subprocess\nsubprocess.check_call(('/usr/bin/apt', 'install', 'x'))\n", "apt"),
        (
            "import subprocess\nsubprocess.Popen(['sudo', 'DEBIAN_FRONTEND=x', 'apt-get', 'install'])\n",
            "apt-get",
        ),
        ("import subprocess as sp\nsp.check_output(['pip3', 'install', 'x'])\n", "pip3"),
        ("import subprocess, sys\nsubprocess.call([sys.executable, '-m', 'pip', 'install', 'x'])\n", "pip"),
        ("import subprocess\ndef f(py):\n    subprocess.call([py, '-m', 'pip', 'install', 'x'])\n", None),
        ("import subprocess\nsubprocess.call(['python3', '-m', 'pip', 'install', 'x'])\n", "pip"),
        ("from subprocess import run\nrun(['uv', 'pip', 'install', 'x'], check=True)\n", "uv"),
        ("import subprocess\nsubprocess.run('dnf install -y bird', shell=True)\n", "dnf"),
        ("import subprocess\npkg = 'x'\nsubprocess.run(f'yum install {pkg}', shell=True)\n", "yum"),
        ("import subprocess\nCMD = ['npm', 'install']\ndef f():\n    subprocess.run(CMD)\n", "npm"),
        ("import subprocess\nsubprocess.run(args=['conda', 'install', 'x'])\n", "conda"),
        ("import os\nos.system('apk add frr')\n", "apk"),
        ("import os\nos.execvp('dpkg', ['dpkg', '-i', 'x.deb'])\n", "dpkg"),
    ],
)
def test_checker_finds_violations(source: str, what: str | None) -> None:
    found = check_source(source, "netprov/render/synthetic.py")
    if what is None:  # [py, ...]: not a literal, the checker cannot tell; it must not guess
        assert found == []
        return
    assert len(found) == 1, found
    assert what in str(found[0])
    assert str(found[0]).startswith("netprov/render/synthetic.py:")


@pytest.mark.parametrize(
    "source",
    [
        "import subprocess\nsubprocess.run(['vtysh', '--dryrun', '-f', 'x'], check=False)\n",
        "import subprocess\nsubprocess.run(['dpkg-query', '-W', 'frr'])\n",
        "import subprocess\nsubprocess.run('bird -p -c x', shell=True)\n",
        "import os\nos.system('ip netns list')\n",
        "import subprocess\ndef f(cmd):\n    subprocess.run(cmd)\n",
        "LAB = 'netprov_lab'\nprint(LAB)\n",
        "import netprov_labels\nfrom netprov.lab_like import x\n",
        "def run(x):\n    return x\nrun(['apt-get', 'install'])\n",
    ],
)
def test_checker_accepts_clean_code(source: str) -> None:
    assert check_source(source, "netprov/render/synthetic.py") == []


def test_checker_allows_lazy_lab_imports_only_in_the_cli_lab_commands() -> None:
    lazy = "def demo():\n    from netprov_lab.demo.scenario import run_scenario\n"
    eager = "from netprov_lab import require_root\n"
    assert check_source(lazy, "netprov/cli/demo.py") == []
    assert len(check_source(eager, "netprov/cli/demo.py")) == 1
    assert len(check_source(lazy, "netprov/cli/request.py")) == 1


def _cli(argv: list[str], hide_lab: bool) -> subprocess.CompletedProcess[str]:
    """Run ``netprov <argv>`` in a fresh interpreter (optionally as if netprov_lab were absent)."""
    code = (
        "import sys\n"
        + (f"sys.modules[{LAB_PACKAGE!r}] = None\n" if hide_lab else "")
        + f"sys.argv = ['netprov', *{argv!r}]\n"
        "from netprov.cli.main import run\n"
        "try:\n"
        "    run()\n"
        "finally:\n"
        f"    print('LAB_LOADED=' + str(isinstance(sys.modules.get({LAB_PACKAGE!r}), type(sys))))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )


@pytest.mark.parametrize("argv", [["lab", "status"], ["lab", "up", "netbox"], ["demo"]])
def test_cli_without_the_lab_package_prints_one_sentence(argv: list[str]) -> None:
    proc = _cli(argv, hide_lab=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "needs the lab package netprov_lab, which is not installed" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_lab_command_loads_the_lab_when_it_runs() -> None:
    proc = _cli(["lab", "up", "no-such-part"], hide_lab=False)  # refused before anything starts
    assert proc.returncode == 1
    assert "unknown lab part 'no-such-part'" in proc.stderr
    assert "LAB_LOADED=True" in proc.stdout
