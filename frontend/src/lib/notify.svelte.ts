//! Desktop notifications. Permission is only asked when the user presses a button; a
//! notification is shown only while the page is hidden.

class DesktopNotifier {
  permission = $state<NotificationPermission | 'unsupported'>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  );

  async ask(): Promise<void> {
    if (typeof Notification === 'undefined') return;
    this.permission = await Notification.requestPermission();
  }

  show(title: string, body: string, onClick: () => void, silent = false): void {
    if (this.permission !== 'granted' || !document.hidden) return;
    const n = new Notification(title, { body: body.slice(0, 300), tag: title, silent });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  }
}

export const desktop = new DesktopNotifier();
