"""fastpacket.Packet finds binary data exactly where python-socketio's own Packet does, and it is the one in use."""

from hypothesis import given
from hypothesis import strategies as st
from socketio import packet

from playground import fastjson, fastpacket, socketio

#: What a decoded JSON packet can hold, plus the bytes and bytearrays an emit may carry, nested.
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary() | st.binary().map(bytearray),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
        | st.tuples(children)
    ),  # neither class looks inside a tuple
    max_leaves=20,
)


@given(VALUES)
def test_binary_is_found_exactly_where_python_socketio_finds_it(data):
    """Same answer as `socketio.packet.Packet.data_is_binary` for any nesting of JSON values and bytes."""
    assert fastpacket.Packet.data_is_binary(data) is packet.Packet.data_is_binary(data)


def test_the_server_builds_its_packets_with_it_and_orjson(app):
    """python-socketio's server uses this class (its `serializer`), with fastjson as its JSON."""
    assert socketio.server.packet_class is fastpacket.Packet
    assert fastpacket.Packet.json is fastjson
    binary = fastpacket.Packet(packet.EVENT, data=["my binary response", {"data": b"\x00"}], namespace="/test")
    assert binary.packet_type == packet.BINARY_EVENT
    assert binary.encode()[0] == '51-/test,["my binary response",{"data":{"_placeholder":true,"num":0}}]'
