"""A brand's own terms in its playbook: product names, recall codes, harm patterns and slang.

    brand:
      products: [AirCrisp, KettlePro 2]       # `<product>` in a harm pattern: any of these
      recall_codes: [RC-2291, BW-1142]        # a post naming one is about a dangerous product
      harm:                                   # patterns of the harm vocabularies' syntax
        product_hazard: ["<product> ~ smoking|sparking|too hot"]
        food_safety: ["found ~ in my kettlebrew"]
      slang:                                  # local words and their tone (VADER units)
        mid: -1.5
        peng: 2

Every pattern is checked as the shipped vocabularies' are, and `playbook validate` names the
file, line and field of each problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from crisis_console.core.playbook.yamlcheck import Checker
from crisis_console.core.playbook.yamlfile import Path as YamlPath
from crisis_console.core.triage.harm import KINDS
from crisis_console.core.triage.phrases import PatternError, compile_pattern

PRODUCT = "<product>"
RECALL_KIND = "product_hazard"  # what naming a recall code is a sign of


@dataclass(frozen=True, slots=True)
class BrandTerms:
    products: tuple[str, ...] = ()
    recall_codes: tuple[str, ...] = ()
    harm: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (kind, patterns with products in)
    slang: tuple[tuple[str, float], ...] = ()

    @property
    def patterns(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Each kind's patterns, a recall code being a pattern of `RECALL_KIND`."""
        recalls = ((RECALL_KIND, self.recall_codes),) if self.recall_codes else ()
        return (*self.harm, *recalls)


def expand(pattern: str, products: tuple[str, ...]) -> str:
    """`pattern` with `<product>` as the choice of the products' names ("a|b c")."""
    choice = "|".join(products)
    return " ".join(choice if token == PRODUCT else token for token in pattern.split())


def _product_problem(pattern: str, products: tuple[str, ...]) -> str:
    """Why `<product>` cannot stand where it does in `pattern`, or ""."""
    tokens = pattern.split()
    for i, token in enumerate(tokens):
        if PRODUCT not in token:
            continue
        if token != PRODUCT:
            return f"{PRODUCT} must stand alone, not inside '{token}'"
        beside = [tokens[j] for j in (i - 1, i + 1) if 0 <= j < len(tokens)]
        if any(not t.startswith("~") for t in beside):
            return f"{PRODUCT} is a part of its own: put a gap (~) between it and other words"
        if not products:
            return f"{PRODUCT} needs brand.products"
    return ""


def check_brand(checker: Checker) -> BrandTerms | None:
    """The playbook's `brand` section (None if it has none), every problem recorded."""
    path: YamlPath = ("brand",)
    if checker.node(path) is None:
        return None
    checker.mapping(path, {"products", "recall_codes", "harm", "slang"})
    products = tuple(
        name
        for i, name in _texts(checker, path + ("products",))
        if _literal(checker, path + ("products", i), name)
    )
    recalls: list[str] = []
    for i, code in _texts(checker, path + ("recall_codes",)):
        where = path + ("recall_codes", i)
        if not any(c.isdigit() for c in code):
            checker.fail(where, f"'{code}' has no digit: a recall code (RC-2291) does")
        elif _literal(checker, where, code) and _check_pattern(checker, where, code, ()):
            recalls.append(code)
    harm: list[tuple[str, tuple[str, ...]]] = []
    if checker.node(path + ("harm",)) is not None:
        for kind in checker.mapping(path + ("harm",), set(KINDS)):
            if kind not in KINDS:
                continue  # `mapping` named it
            where = path + ("harm", kind)
            good = [
                expand(p, products)
                for i, p in _texts(checker, where)
                if _check_pattern(checker, (*where, i), p, products)
            ]
            harm.append((kind, tuple(good)))
    slang = checker.weights(path + ("slang",))
    return BrandTerms(products, tuple(recalls), tuple(harm), slang)


_SYNTAX = ("|", "~", "*", "<", ">")  # what a pattern's words may not hold to be read as such


def _texts(checker: Checker, path: YamlPath) -> list[tuple[int, str]]:
    """The list's texts with their own indexes (a bad item is named, and skipped, without
    moving the ones after it), lower-cased."""
    items = checker.typed(path, list, required=False) or []
    good = checker.strings(path, required=False)  # names every bad item
    texts = iter(good)
    return [
        (i, next(texts))
        for i, item in enumerate(items)
        if isinstance(item, str) and not isinstance(item, bool) and item.strip()
    ]


def _literal(checker: Checker, path: YamlPath, name: str) -> bool:
    """A product name or recall code is words as written: not the patterns' syntax."""
    found = [c for c in _SYNTAX if c in name]
    if found:
        checker.fail(path, f"'{name}' holds {' '.join(found)}: names and codes are plain words")
    return not found


def _check_pattern(
    checker: Checker, path: YamlPath, pattern: str, products: tuple[str, ...]
) -> bool:
    problem = _product_problem(pattern, products)
    if not problem:
        try:
            compile_pattern(expand(pattern, products))
        except PatternError as exc:
            problem = str(exc)
    if problem:
        checker.fail(path, problem)
    return not problem
