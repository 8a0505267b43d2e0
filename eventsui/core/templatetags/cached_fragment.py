"""{% cached_fragment %}: Django's {% cache %} tag, but a failing cache is skipped.

Django's own tag lets a cache backend's exception (Redis down) through and
fails the page. This one reads and writes through the tolerant helpers of
eventsui/modelarts/cache.py: a failing cache renders the fragment afresh and
is logged there, at most once per 30 s. Same arguments as {% cache %}; the key
adds the active language, so each language has its own copy:

    {% cached_fragment 300 events_table table_key %}...{% endcached_fragment %}
"""

from __future__ import annotations

from django import template
from django.core.cache.utils import make_template_fragment_key
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils import translation

from eventsui.modelarts.tolerant_cache import cache_get, cache_set

register = template.Library()


class CachedFragmentNode(template.Node):
    def __init__(
        self,
        nodelist: NodeList,
        timeout: FilterExpression,
        fragment_name: str,
        vary_on: list[FilterExpression],
    ) -> None:
        self.nodelist = nodelist
        self.timeout = timeout
        self.fragment_name = fragment_name
        self.vary_on = vary_on

    def render(self, context: template.Context) -> str:
        # The page's language too: the fragment's own words are translated.
        key = make_template_fragment_key(
            self.fragment_name,
            [*(var.resolve(context) for var in self.vary_on), translation.get_language()],
        )
        fragment = cache_get(key)
        if fragment is None:
            fragment = self.nodelist.render(context)
            cache_set(key, fragment, int(self.timeout.resolve(context)))
        return str(fragment)


@register.tag
def cached_fragment(parser: Parser, token: Token) -> CachedFragmentNode:
    """{% cached_fragment <seconds> <name> [vary_on ...] %} ... {% endcached_fragment %}"""
    nodelist = parser.parse(("endcached_fragment",))
    parser.delete_first_token()
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError(f"{bits[0]!r} takes at least two arguments.")
    return CachedFragmentNode(
        nodelist,
        parser.compile_filter(bits[1]),
        bits[2],
        [parser.compile_filter(bit) for bit in bits[3:]],
    )
