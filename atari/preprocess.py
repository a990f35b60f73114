"""φ: from raw Atari screens to the network's 84 × 84 × 4 input (Mnih et al. 2013, §4.1; 2015, Methods).

1. Flicker removal.  Some games draw objects only on every other frame, so
   one frame can miss them.  Take the pixel-wise max of the last two raw
   frames of the action-repeat window:  x = max(frame_{k-1}, frame_k).
2. Luminance.  Colour carries little here; keep brightness only.  The 2015
   paper says only "extract the Y channel, also known as luminance".  Two
   sets of weights are in use, both offered here (`--luminance`):
       rec709: Y = 0.2126 R + 0.7152 G + 0.0722 B   (ITU-R BT.709, HDTV and sRGB;
               this project's default, used for results/pong)
       rec601: Y = 0.299 R + 0.587 G + 0.114 B      (ITU-R BT.601, the Y of YUV/YCbCr;
               what DeepMind's released DQN code used, through Torch's image.rgb2y)
   They differ by a few grey levels per pixel; either keeps the objects apart.
3. Resize 210 × 160 -> 84 × 84 (pillow, bilinear), stored as uint8.
4. Stack the last 4 such frames along the channel axis, *oldest first*:
   stack[..., 0] is 3 steps ago, stack[..., 3] is now.  One frame cannot
   show which way the ball moves; four can.
"""
from collections import deque

import numpy as np
from PIL import Image

FRAME_SIZE = 84
HISTORY = 4
#: name -> (R, G, B) weights of the luminance Y (see 2. above)
LUMINANCE = {
    "rec709": np.array([0.2126, 0.7152, 0.0722], dtype=np.float32),
    "rec601": np.array([0.299, 0.587, 0.114], dtype=np.float32),
}


def max_frames(prev: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Flicker removal: (210, 160, 3) x 2 -> (210, 160, 3), the pixel-wise max."""
    return np.maximum(prev, last)


def luminance(rgb: np.ndarray, weights: np.ndarray = LUMINANCE["rec709"]) -> np.ndarray:
    """Y = w_R R + w_G G + w_B B: (H, W, 3) uint8, weights (3,) -> (H, W) float32 in [0, 255]."""
    return rgb @ weights                                  # (H, W, 3) @ (3,) -> (H, W)


def resize(y: np.ndarray, size: int = FRAME_SIZE) -> np.ndarray:
    """(H, W) luminance -> (size, size) uint8, bilinear."""
    img = Image.fromarray(np.clip(np.rint(y), 0, 255).astype(np.uint8))
    return np.asarray(img.resize((size, size), Image.BILINEAR))


def phi_frame(prev: np.ndarray, last: np.ndarray, weights: np.ndarray = LUMINANCE["rec709"]) -> np.ndarray:
    """Two raw RGB frames (210, 160, 3) -> one preprocessed frame (84, 84) uint8."""
    return resize(luminance(max_frames(prev, last), weights))


class FrameStack:
    """The last HISTORY preprocessed frames as one (84, 84, HISTORY) uint8 array, oldest first.

    At the start of an episode the older slots are zeros (there is no past yet);
    the frame replay memory rebuilds stacks by the same rule, so what the agent
    acts on and what it learns from are the same arrays.
    """

    def __init__(self, history: int = HISTORY, size: int = FRAME_SIZE):
        self.history, self.size = history, size
        self.frames = deque(maxlen=history)

    def reset(self, frame: np.ndarray) -> np.ndarray:
        self.frames.clear()
        for _ in range(self.history - 1):
            self.frames.append(np.zeros((self.size, self.size), dtype=np.uint8))
        return self.push(frame)

    def push(self, frame: np.ndarray) -> np.ndarray:
        self.frames.append(frame)
        return np.stack(self.frames, axis=-1)             # (84, 84, HISTORY), oldest first
