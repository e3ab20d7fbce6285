"""What an app asks to be allowed to do, read from the permission names it requests.

A remote-control or banking-trojan app needs to see the screen, read the texts with the
bank's one-time codes, draw over other apps and act for the user; an ordinary app rarely
asks for all of that at once. Names are read in any of their usual shapes
(``android.permission.READ_SMS``, ``READ_SMS``, ``com.vendor.permission.X``): the last
dotted part, upper-case, is what is compared. The lists come from Android's own
documentation: its "dangerous" (runtime) permissions, and the special ones that the
fraud seen in the wild abuses.
"""

from __future__ import annotations

from typing import Final

import polars as pl

#: Android's runtime ("dangerous") permissions: personal data and sensors.
DANGEROUS: Final = frozenset(
    {
        "READ_SMS", "RECEIVE_SMS", "SEND_SMS", "RECEIVE_MMS", "RECEIVE_WAP_PUSH",
        "READ_CONTACTS", "WRITE_CONTACTS", "GET_ACCOUNTS", "READ_CALL_LOG", "WRITE_CALL_LOG",
        "PROCESS_OUTGOING_CALLS", "CALL_PHONE", "ANSWER_PHONE_CALLS", "READ_PHONE_STATE",
        "READ_PHONE_NUMBERS", "ADD_VOICEMAIL", "USE_SIP", "RECORD_AUDIO", "CAMERA",
        "ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION", "ACCESS_BACKGROUND_LOCATION",
        "READ_EXTERNAL_STORAGE", "WRITE_EXTERNAL_STORAGE", "READ_MEDIA_IMAGES",
        "READ_MEDIA_VIDEO", "READ_MEDIA_AUDIO", "BODY_SENSORS", "READ_CALENDAR",
        "WRITE_CALENDAR", "ACTIVITY_RECOGNITION", "BLUETOOTH_CONNECT", "BLUETOOTH_SCAN",
        "NEARBY_WIFI_DEVICES", "POST_NOTIFICATIONS",
    }
)  # fmt: skip

#: Powers that let an app act for the user or watch them: each its own feature.
ABUSED: Final[dict[str, frozenset[str]]] = {
    "accessibility": frozenset({"BIND_ACCESSIBILITY_SERVICE"}),
    "screen_capture": frozenset(
        {"FOREGROUND_SERVICE_MEDIA_PROJECTION", "CAPTURE_VIDEO_OUTPUT",
         "CAPTURE_SECURE_VIDEO_OUTPUT", "READ_FRAME_BUFFER", "MEDIA_PROJECTION"}
    ),
    "overlay": frozenset({"SYSTEM_ALERT_WINDOW"}),
    "sms_read": frozenset({"READ_SMS", "RECEIVE_SMS", "RECEIVE_MMS"}),
    "sms_send": frozenset({"SEND_SMS"}),
    "install_packages": frozenset({"REQUEST_INSTALL_PACKAGES", "INSTALL_PACKAGES"}),
    "device_admin": frozenset({"BIND_DEVICE_ADMIN"}),
    "notification_listener": frozenset({"BIND_NOTIFICATION_LISTENER_SERVICE"}),
    "call_log": frozenset({"READ_CALL_LOG", "PROCESS_OUTGOING_CALLS"}),
    "contacts": frozenset({"READ_CONTACTS", "GET_ACCOUNTS"}),
    "list_apps": frozenset({"QUERY_ALL_PACKAGES", "GET_TASKS"}),
    "stay_alive": frozenset({"REQUEST_IGNORE_BATTERY_OPTIMIZATIONS"}),
}  # fmt: skip

PERMISSION_FEATURES: Final = (
    "perm_count",
    "perm_dangerous",
    "perm_dangerous_share",
    "perm_abused",
    *(f"perm_{name}" for name in ABUSED),
)


def permission_name(expr: pl.Expr) -> pl.Expr:
    """A permission's short name: the last dotted part, trimmed, upper-case."""
    return expr.cast(pl.String).str.strip_chars().str.split(".").list.last().str.to_uppercase()


def permission_features(installs: pl.DataFrame, key: str = "app_id") -> pl.DataFrame:
    """Per app (`key`), over every permission its installs requested (`permissions`, a
    list of names; an app whose versions asked for different ones gets them all):
    how many, how many dangerous (and their share), how many of the abused powers, and
    each abused power as 0/1 (`PERMISSION_FEATURES`)."""
    asked = (
        installs.select(pl.col(key), pl.col("permissions"))
        .explode("permissions")
        .drop_nulls("permissions")
        .select(pl.col(key), permission_name(pl.col("permissions")).alias("perm"))
        .filter(pl.col("perm") != "")
        .unique()
    )
    apps = installs.select(key).unique()
    flags = [
        pl.col("perm").is_in(sorted(names)).any().cast(pl.Float64).alias(f"perm_{name}")
        for name, names in ABUSED.items()
    ]
    per_app = asked.group_by(key).agg(
        pl.len().alias("perm_count"),
        pl.col("perm").is_in(sorted(DANGEROUS)).sum().alias("perm_dangerous"),
        *flags,
    )
    out = apps.join(per_app, on=key, how="left").with_columns(
        pl.col("perm_count").fill_null(0),
        pl.col("perm_dangerous").fill_null(0),
        *[pl.col(f"perm_{name}").fill_null(0.0) for name in ABUSED],
    )
    return out.with_columns(
        (pl.col("perm_dangerous") / pl.col("perm_count").clip(lower_bound=1)).alias(
            "perm_dangerous_share"
        ),
        pl.sum_horizontal(*(pl.col(f"perm_{name}") for name in ABUSED)).alias("perm_abused"),
    ).select(key, *(pl.col(c).cast(pl.Float64) for c in PERMISSION_FEATURES))


__all__ = ["ABUSED", "DANGEROUS", "PERMISSION_FEATURES", "permission_features", "permission_name"]
