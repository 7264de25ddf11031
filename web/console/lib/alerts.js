// New-chat alerts: a generated beep (no audio file) and a blinking title
// while the console is not being looked at.

const SOUND_KEY = 'portico.sound';

let audio = null;
let interacted = false;

// Browsers refuse to start audio before the user has interacted with the
// page; the first click or key press unlocks (and creates) the AudioContext.
function unlock() {
  interacted = true;
  removeEventListener('pointerdown', unlock, true);
  removeEventListener('keydown', unlock, true);
  try {
    audio = audio || new AudioContext();
    if (audio.state === 'suspended') audio.resume();
  } catch {
    audio = null; // no WebAudio: alerts stay silent
  }
}
addEventListener('pointerdown', unlock, true);
addEventListener('keydown', unlock, true);

// The sound choice survives reloads in localStorage; `remembered` covers
// browsers where storage is not available (private mode).
let remembered = null;

export function soundEnabled() {
  if (remembered !== null) return remembered;
  try {
    return localStorage.getItem(SOUND_KEY) !== 'off';
  } catch {
    return true;
  }
}

export function setSoundEnabled(on) {
  remembered = on;
  try {
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  } catch {
    // kept in memory only
  }
}

// beep plays two short rising tones.
export function beep() {
  if (!interacted || !audio || !soundEnabled()) return;
  if (audio.state === 'suspended') audio.resume();
  const start = audio.currentTime + 0.01;
  tone(660, start, 0.12);
  tone(880, start + 0.15, 0.16);
}

function tone(freq, at, length) {
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.type = 'sine';
  osc.frequency.value = freq;
  // A short attack and decay avoid clicks at the edges.
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
  osc.connect(gain).connect(audio.destination);
  osc.start(at);
  osc.stop(at + length + 0.02);
}

// TitleAlert alternates "(2) New chat — Portico" with the normal title while
// the tab is hidden or unfocused, and stops as soon as it gets focus.
export class TitleAlert {
  constructor(base) {
    this.base = base;
    this.count = 0;
    this.timer = 0;
    this.stopIfSeen = () => {
      if (looking()) this.stop();
    };
    addEventListener('focus', this.stopIfSeen);
    document.addEventListener('visibilitychange', this.stopIfSeen);
    document.title = base;
  }

  notify() {
    if (looking()) return;
    this.count++;
    if (this.timer) return;
    let on = false;
    const flip = () => {
      on = !on;
      document.title = on ? `(${this.count}) New chat — ${this.base}` : this.base;
    };
    flip();
    this.timer = setInterval(flip, 1000);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    this.count = 0;
    document.title = this.base;
  }

  destroy() {
    this.stop();
    removeEventListener('focus', this.stopIfSeen);
    document.removeEventListener('visibilitychange', this.stopIfSeen);
  }
}

function looking() {
  return document.visibilityState === 'visible' && document.hasFocus();
}
