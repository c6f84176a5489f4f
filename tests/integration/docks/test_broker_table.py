"""The embedded broker's subscription table may change while amqtt loops over it across awaits (a
connecting client's retained messages, every broadcast): clients subscribing or leaving meanwhile
must not kill another client's session ("dictionary changed size during iteration")."""

from __future__ import annotations

from docks.broker import EmbeddedBroker


async def test_the_table_changes_while_it_is_iterated(embedded_broker: EmbeddedBroker) -> None:
    assert embedded_broker._broker is not None
    table = embedded_broker._broker._subscriptions
    table.update({"a/#": [], "b/#": []})
    seen = []
    for topic in table:  # amqtt's loop over a new session's subscriptions
        table[f"new/{len(table)}"] = []  # another client subscribes meanwhile
        seen.append(topic)
    assert seen == ["a/#", "b/#"] and len(table) == 4
    for topic, _subs in table.items():  # the broadcast loop, while a client leaves
        del table[topic]
    assert not table
