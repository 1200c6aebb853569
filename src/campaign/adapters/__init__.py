"""Platform adapters: one module per platform, all behind :class:`.base.Adapter`."""

from campaign.adapters.base import Adapter, MediaItem, Outgoing, PlatformSpec, Receipt

__all__ = ["Adapter", "MediaItem", "Outgoing", "PlatformSpec", "Receipt"]
