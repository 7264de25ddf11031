// The operator's own profile: name, photo, phone, transcript e-mail, the two
// notification settings and a password change.

import { h } from '../lib/dom.js';
import { teamApi } from '../lib/team_api.js';
import { mailConfigured, notConfiguredNotice } from './mail.js';
import { avatar, busy, checkbox, errorLine, field, showError } from './team_form.js';

const MAX_PHOTO = 1 << 20;
const PHOTO_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

// openProfile shows the dialog. onChanged(operator) runs after every change
// the server accepted (the photo is saved as soon as it is chosen).
export function openProfile(me, { onChanged, toast }) {
  let current = me;
  const input = (props) => h('input', { autocomplete: 'off', ...props });
  const name = input({ type: 'text', value: me.name || '', maxlength: 100, required: true, autocomplete: 'name', testid: 'profile-name' });
  const phone = input({ type: 'tel', value: me.phone || '', maxlength: 40, autocomplete: 'tel', testid: 'profile-phone' });
  const transcript = input({ type: 'email', value: me.transcript_email || '', maxlength: 254, testid: 'profile-transcript-email' });
  // Without a mail server the copies wait in the outbox (views/mail.js says so).
  mailConfigured().then((ok) => ok || transcript.after(notConfiguredNotice('the copies are not e-mailed yet.')));
  const notify = checkbox('Tell me when a colleague picks up a chat I was alerted to', me.notify_colleague_pickup, 'profile-notify');
  const sound = checkbox('Play a sound for new chats', me.alert_sound !== false, 'profile-sound');
  const currentPw = input({ type: 'password', autocomplete: 'current-password', testid: 'profile-current-password' });
  const newPw = input({ type: 'password', autocomplete: 'new-password', minlength: 8, testid: 'profile-new-password' });
  const error = errorLine();

  const preview = h('span', { class: 'profile-photo', testid: 'profile-photo' });
  const photoStatus = h('p', { class: 'field-hint', role: 'status' }, 'PNG, JPEG or WebP, at most 1 MiB.');
  const file = h('input', { type: 'file', accept: PHOTO_TYPES.join(','), class: 'visually-hidden', testid: 'profile-photo-file' });
  const choose = h('button', { type: 'button', class: 'btn btn-small', onclick: () => file.click() }, 'Upload photo');
  const remove = h('button', { type: 'button', class: 'btn btn-small', testid: 'profile-photo-remove' }, 'Remove');
  const showPhoto = () => {
    preview.replaceChildren(avatar(current, 64));
    remove.hidden = !current.photo_url;
  };
  showPhoto();

  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    file.value = '';
    if (!f) return;
    if (!PHOTO_TYPES.includes(f.type)) {
      photoStatus.textContent = 'Choose a PNG, JPEG or WebP image.';
      return;
    }
    if (f.size > MAX_PHOTO) {
      photoStatus.textContent = 'That image is larger than 1 MiB.';
      return;
    }
    const done = busy(choose, 'Uploading…');
    photoStatus.textContent = 'Uploading…';
    try {
      const res = await teamApi.uploadPhoto(f);
      current = { ...current, ...res.operator };
      onChanged(current);
      photoStatus.textContent = 'Photo saved. Visitors see it when you answer.';
      showPhoto();
    } catch (err) {
      photoStatus.textContent = err.message;
    } finally {
      done();
    }
  });
  remove.addEventListener('click', async () => {
    const done = busy(remove);
    try {
      const res = await teamApi.deletePhoto();
      current = { ...current, ...res.operator };
      onChanged(current);
      photoStatus.textContent = 'Photo removed.';
      showPhoto();
    } catch (err) {
      photoStatus.textContent = err.message;
    } finally {
      done();
    }
  });

  const save = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'profile-save' }, 'Save');
  const cancel = h('button', { type: 'button', class: 'btn', onclick: () => dialog.close() }, 'Close');
  const form = h(
    'form',
    { class: 'team-form', novalidate: true },
    h('h2', { id: 'profile-title' }, 'Your profile'),
    h('div', { class: 'photo-row' }, preview, h('div', {}, h('div', { class: 'row-actions' }, choose, remove), photoStatus), file),
    field('Name', name),
    field('Phone', phone),
    field('Transcript e-mail', transcript, 'Gets a copy of every chat you take part in. Leave empty for none.'),
    notify.el,
    sound.el,
    h(
      'fieldset',
      { class: 'fieldset' },
      h('legend', {}, 'Change password'),
      field('Current password', currentPw),
      field('New password', newPw, 'At least 8 characters. Signs you out on your other devices.'),
    ),
    error,
    h('div', { class: 'dialog-actions' }, cancel, save),
  );
  const dialog = h('dialog', { class: 'dialog dialog-wide', 'aria-labelledby': 'profile-title', testid: 'profile-dialog' }, form);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    if (!name.value.trim()) {
      error.textContent = 'Your name is required.';
      name.focus();
      return;
    }
    const body = {
      name: name.value,
      phone: phone.value,
      transcript_email: transcript.value.trim(),
      notify_colleague_pickup: notify.input.checked,
      alert_sound: sound.input.checked,
    };
    if (currentPw.value || newPw.value) {
      if (newPw.value.length < 8) {
        error.textContent = 'The new password needs at least 8 characters.';
        newPw.focus();
        return;
      }
      body.current_password = currentPw.value;
      body.new_password = newPw.value;
    }
    const done = busy(save, 'Saving…');
    try {
      const res = await teamApi.updateMe(body);
      current = { ...current, ...res.operator };
      onChanged(current);
      toast('Profile saved');
      dialog.close();
    } catch (err) {
      if (err.status === 401) return;
      showError(error, err, { name, phone, transcript_email: transcript, current_password: currentPw, new_password: newPw });
    } finally {
      done();
    }
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  name.focus();
}
