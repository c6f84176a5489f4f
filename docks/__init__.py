"""The dock: its state model, the MQTT wire protocol (topics, envelope, codecs) and the DockLink."""
