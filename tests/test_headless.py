"""Imported for real: the engine, the application layer and the data modules load no UI
library, and the CLI loads neither torch nor transformers (``test_architecture`` checks the
same from the source, imports inside functions included)."""

import subprocess
import sys

HEADLESS = ["playground.params", "playground.presets", "playground.locations", "playground.engine.engine",
            "playground.engine.loading", "playground.engine.hub", "playground.engine.checkpoint",
            "playground.engine.memory", "playground.engine.placement", "playground.engine.sampling",
            "playground.engine.detok", "playground.engine.fim", "playground.engine.handle", "playground.engine.demo",
            "playground.engine.decoders", "playground.engine.static", "playground.engine.attention",
            "playground.engine.static_decoder", "playground.engine.eager", "playground.sessions",
            "playground.config", "playground.runtime.engines", "playground.runtime.opening",
            "playground.runtime.running", "playground.runtime.describe", "playground.runtime.prompts",
            "playground.runtime.parameters", "playground.runtime.keeper"]
UI_LIBRARIES = ("textual", "rich", "prompt_toolkit", "pygments")


def imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_engine_runtime_and_data_modules_load_no_ui_library():
    modules = imported_after("\n".join(f"import {m}" for m in HEADLESS))
    assert "torch" in modules  # the probe really imported the engine
    assert not {m for m in modules if m.split(".")[0] in UI_LIBRARIES}


def test_the_cli_module_loads_neither_torch_nor_transformers():
    modules = imported_after("import playground.cli; playground.cli.build_parser()")
    assert not {m for m in modules if m.split(".")[0] in ("torch", "transformers")}
