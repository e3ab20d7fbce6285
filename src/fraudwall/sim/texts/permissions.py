"""The Android permissions an app requests, by what kind of app it is."""

# Long lines below are Chinese template data, not code.
# ruff: noqa: E501

from __future__ import annotations

import numpy as np

from fraudwall.model import FraudType
from fraudwall.sim.texts.catalogue import FRAUD_APPS, LEGIT_APP_PROFILES, REMOTE_APPS
from fraudwall.sim.texts.rand import Rand
from fraudwall.sim.texts.vocab import words

_P = "android.permission."
_BASE_PERMS = words(
    "INTERNET ACCESS_NETWORK_STATE ACCESS_WIFI_STATE WAKE_LOCK POST_NOTIFICATIONS VIBRATE RECEIVE_BOOT_COMPLETED FOREGROUND_SERVICE"
)
_PROFILES: dict[str, tuple[tuple[str, float], ...]] = {
    "remote": (
        ("FOREGROUND_SERVICE_MEDIA_PROJECTION", 1.0),
        ("SYSTEM_ALERT_WINDOW", 0.9),
        ("BIND_ACCESSIBILITY_SERVICE", 0.8),
        ("RECORD_AUDIO", 0.8),
        ("CAMERA", 0.6),
        ("READ_PHONE_STATE", 0.5),
        ("BLUETOOTH_CONNECT", 0.4),
        ("READ_MEDIA_IMAGES", 0.4),
        ("REQUEST_IGNORE_BATTERY_OPTIMIZATIONS", 0.5),
        ("QUERY_ALL_PACKAGES", 0.4),
        ("READ_CONTACTS", 0.3),
    ),
    "fraud": (
        ("READ_SMS", 0.7),
        ("RECEIVE_SMS", 0.6),
        ("SEND_SMS", 0.3),
        ("READ_CONTACTS", 0.8),
        ("READ_CALL_LOG", 0.5),
        ("READ_PHONE_STATE", 0.9),
        ("REQUEST_INSTALL_PACKAGES", 0.6),
        ("SYSTEM_ALERT_WINDOW", 0.6),
        ("BIND_ACCESSIBILITY_SERVICE", 0.3),
        ("FOREGROUND_SERVICE_MEDIA_PROJECTION", 0.15),
        ("QUERY_ALL_PACKAGES", 0.5),
        ("ACCESS_FINE_LOCATION", 0.6),
        ("CAMERA", 0.6),
        ("RECORD_AUDIO", 0.4),
        ("READ_EXTERNAL_STORAGE", 0.6),
        ("WRITE_EXTERNAL_STORAGE", 0.5),
        ("REQUEST_IGNORE_BATTERY_OPTIMIZATIONS", 0.4),
    ),
    "bank": (
        ("CAMERA", 0.9),
        ("USE_BIOMETRIC", 0.95),
        ("ACCESS_FINE_LOCATION", 0.6),
        ("READ_PHONE_STATE", 0.7),
        ("NFC", 0.4),
        ("READ_CONTACTS", 0.3),
        ("RECEIVE_SMS", 0.15),
        ("CALL_PHONE", 0.3),
        ("READ_MEDIA_IMAGES", 0.4),
    ),
    "social": (
        ("CAMERA", 0.95),
        ("RECORD_AUDIO", 0.95),
        ("READ_CONTACTS", 0.8),
        ("ACCESS_FINE_LOCATION", 0.8),
        ("SYSTEM_ALERT_WINDOW", 0.5),
        ("READ_MEDIA_IMAGES", 0.9),
        ("READ_MEDIA_VIDEO", 0.8),
        ("BLUETOOTH_CONNECT", 0.5),
        ("FOREGROUND_SERVICE_MEDIA_PROJECTION", 0.3),
        ("CALL_PHONE", 0.3),
        ("READ_PHONE_STATE", 0.5),
        ("USE_BIOMETRIC", 0.6),
    ),
    "shopping": (
        ("CAMERA", 0.8),
        ("ACCESS_FINE_LOCATION", 0.7),
        ("ACCESS_COARSE_LOCATION", 0.7),
        ("READ_MEDIA_IMAGES", 0.7),
        ("USE_BIOMETRIC", 0.4),
        ("READ_PHONE_STATE", 0.5),
        ("RECORD_AUDIO", 0.3),
        ("CALL_PHONE", 0.3),
    ),
    "media": (
        ("READ_MEDIA_IMAGES", 0.6),
        ("READ_MEDIA_VIDEO", 0.6),
        ("READ_MEDIA_AUDIO", 0.5),
        ("CAMERA", 0.6),
        ("RECORD_AUDIO", 0.6),
        ("SYSTEM_ALERT_WINDOW", 0.4),
        ("ACCESS_COARSE_LOCATION", 0.5),
        ("READ_PHONE_STATE", 0.4),
    ),
    "map": (
        ("ACCESS_FINE_LOCATION", 1.0),
        ("ACCESS_COARSE_LOCATION", 1.0),
        ("ACCESS_BACKGROUND_LOCATION", 0.5),
        ("CAMERA", 0.4),
        ("RECORD_AUDIO", 0.5),
        ("SYSTEM_ALERT_WINDOW", 0.3),
        ("CALL_PHONE", 0.5),
        ("READ_PHONE_STATE", 0.4),
    ),
    "game": (
        ("RECORD_AUDIO", 0.5),
        ("READ_PHONE_STATE", 0.5),
        ("ACCESS_COARSE_LOCATION", 0.3),
        ("READ_MEDIA_IMAGES", 0.3),
    ),
    "gov": (
        ("CAMERA", 0.9),
        ("READ_PHONE_STATE", 0.6),
        ("ACCESS_FINE_LOCATION", 0.5),
        ("USE_BIOMETRIC", 0.5),
        ("READ_MEDIA_IMAGES", 0.5),
    ),
    "antifraud": (
        ("READ_SMS", 0.8),
        ("READ_CALL_LOG", 0.8),
        ("READ_PHONE_STATE", 0.9),
        ("QUERY_ALL_PACKAGES", 0.8),
        ("READ_CONTACTS", 0.5),
        ("CAMERA", 0.7),
        ("ACCESS_FINE_LOCATION", 0.4),
    ),
    "generic": (
        ("CAMERA", 0.5),
        ("ACCESS_FINE_LOCATION", 0.4),
        ("ACCESS_COARSE_LOCATION", 0.4),
        ("RECORD_AUDIO", 0.3),
        ("READ_PHONE_STATE", 0.4),
        ("READ_CONTACTS", 0.15),
        ("READ_MEDIA_IMAGES", 0.5),
        ("SYSTEM_ALERT_WINDOW", 0.15),
    ),
}
_SCREEN_PERMS = (
    ("FOREGROUND_SERVICE_MEDIA_PROJECTION", 0.6),
    ("BIND_ACCESSIBILITY_SERVICE", 0.5),
    ("SYSTEM_ALERT_WINDOW", 0.6),
)
_REMOTE_IDS = frozenset(a for a, _ in REMOTE_APPS)
_LEGIT_PROFILE = {a: p for a, _, p in LEGIT_APP_PROFILES}
_FRAUD_APP_TYPE = {a: ft for ft, apps in FRAUD_APPS.items() for a, _ in apps}


def app_permissions(app_id: str, rng: np.random.Generator) -> list[str]:
    """Android permissions an app requests, by what it is (remote-control apps include screen capture)."""
    r = Rand(rng, 64)
    extra: tuple[tuple[str, float], ...] = ()
    if app_id in _REMOTE_IDS:
        profile = "remote"
    elif app_id in _FRAUD_APP_TYPE:
        profile = "fraud"
        if _FRAUD_APP_TYPE[app_id] in (
            FraudType.POLICE,
            FraudType.CUSTOMER_SERVICE,
            FraudType.CREDIT,
        ):
            extra = _SCREEN_PERMS
    else:
        profile = _LEGIT_PROFILE.get(app_id, "generic")
    perms = [_P + p for p in _BASE_PERMS if r.chance(0.9) or p == "INTERNET"]
    for p, prob in _PROFILES[profile] + extra:
        name = _P + p
        if name not in perms and r.chance(prob):
            perms.append(name)
    return perms
