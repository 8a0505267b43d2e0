"""axe-core (vendored) run on the page a browser test is looking at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            lines.append(f"    {' '.join(node['target'])}")
            lines.append(f"      {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_no_serious_violations(page: Page, where: str) -> None:
    """Fail with a readable list if axe finds a serious or critical violation.

    axe goes in as an inline <script>, which the app's CSP (script-src 'self')
    blocks: the page must come from a context opened with bypass_csp=True.
    """
    page.add_script_tag(path=AXE)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"axe found, on {where}:\n{describe(blocking)}"
