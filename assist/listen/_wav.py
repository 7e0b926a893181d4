"""An audio sink that writes what a listen session plays to a WAV file (no sound device needed)."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Self

from livekit import rtc

__all__ = ["WavSink"]


class WavSink:
    """Writes the frames handed to it as 16-bit PCM; the format is taken from the first frame."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.frames_written = 0
        self._file: wave.Wave_write | None = None

    def __call__(self, frame: rtc.AudioFrame) -> None:
        if self._file is None:
            # opened on the first frame, which fixes the format; closed by close()
            self._file = wave.open(str(self.path), "wb")  # noqa: SIM115
            self._file.setnchannels(frame.num_channels)
            self._file.setsampwidth(2)
            self._file.setframerate(frame.sample_rate)
        self._file.writeframes(frame.data.tobytes())
        self.frames_written += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
