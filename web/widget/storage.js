// Browser storage can be missing or throw (privacy modes, blocked third-party
// storage); the widget then simply forgets between pages instead of failing.
function area(name) {
  return {
    get(key) {
      try {
        return window[name].getItem(key);
      } catch (e) {
        return null;
      }
    },
    set(key, value) {
      try {
        if (value) window[name].setItem(key, value);
        else window[name].removeItem(key);
      } catch (e) {
        // Unavailable storage only costs memory across page loads.
      }
    },
  };
}

export const local = area('localStorage');
export const session = area('sessionStorage');
