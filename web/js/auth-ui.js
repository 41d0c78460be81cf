// The sign-in box both demo pages share: a username/password form, a
// "Continue as guest" button for the page's role, the room field, and the
// "signed in as ..." line with its sign-out button. It only signs in and out;
// what happens next (connect, join, share) is up to the page's callbacks.

const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export function validRoom(room) {
  return ROOM_PATTERN.test(room);
}

function readSaved(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null; // Storage blocked: the room field keeps its default.
  }
}

function writeSaved(key, value) {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // Storage blocked: only a reload loses the room.
  }
}

// options: client (IcegateClient), role ("sender" or "receiver", for guests),
// status (StatusPanel), onSignedIn(room), onSignedOut(). The page provides the
// elements #room, #login-form, #username, #password, #login, #guest,
// #signed-in, #who and #logout.
export function setUpAuth({ client, role, status, onSignedIn, onSignedOut }) {
  const find = (id) => document.getElementById(id);
  const room = find('room');
  // The room belongs to the session (a guest token may be bound to it), so a
  // reload restores it along with the tokens.
  const roomKey = `${client.session.storageKey}.room`;
  const savedRoom = readSaved(roomKey);
  if (client.signedIn && savedRoom && validRoom(savedRoom)) room.value = savedRoom;
  const form = find('login-form');
  const username = find('username');
  const password = find('password');
  const buttons = [find('login'), find('guest')];
  const signedInBox = find('signed-in');
  const who = find('who');
  const logout = find('logout');

  const render = () => {
    const signedIn = client.signedIn;
    form.hidden = signedIn;
    signedInBox.hidden = !signedIn;
    room.disabled = signedIn;
    who.textContent = client.subject ?? client.signedInAs ?? '';
  };

  // Runs one sign-in attempt with the buttons disabled; errors go to the banner.
  const attempt = async (signIn) => {
    const roomName = room.value.trim();
    if (!validRoom(roomName)) {
      status.showError('Room names are 1 to 64 letters, digits, "_", "-" or ".".');
      room.focus();
      return;
    }
    for (const button of buttons) button.disabled = true;
    try {
      await signIn(roomName);
      writeSaved(roomKey, roomName);
      password.value = '';
      status.clearError();
      render();
      onSignedIn(roomName);
    } catch (error) {
      status.showError(error.message);
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) {
      status.showError('Enter a username and a password, or continue as a guest.');
      return;
    }
    attempt(() => client.login(username.value.trim(), password.value));
  });
  find('guest').addEventListener('click', () => attempt((roomName) => client.guest(role, roomName)));
  logout.addEventListener('click', async () => {
    try {
      await client.logout();
    } catch (error) {
      status.showError(`Signed out here, but the server could not be told: ${error.message}`);
    }
  });
  client.addEventListener('authenticated', render);
  // Covers sign-out, an expired session and a disabled account alike.
  let wasSignedIn = client.signedIn;
  client.addEventListener('session', () => {
    render();
    if (wasSignedIn && !client.signedIn) onSignedOut();
    wasSignedIn = client.signedIn;
  });

  render();
  // A reload keeps the session (sessionStorage): carry on where the page was.
  if (client.signedIn && validRoom(room.value.trim())) onSignedIn(room.value.trim());
}
