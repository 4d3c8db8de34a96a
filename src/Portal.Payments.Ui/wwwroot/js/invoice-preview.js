// Invoice preview dialog: move focus in, keep Tab inside, give focus back on close, print only the document.
const openers = new WeakMap();
const focusable = 'a[href], button:not([disabled]), iframe, input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function trapTab(event) {
    if (event.key !== 'Tab') return;
    const items = [...event.currentTarget.querySelectorAll(focusable)];
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || document.activeElement === event.currentTarget)) {
        event.preventDefault();
        last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
    }
}

export function open(dialog) {
    openers.set(dialog, document.activeElement);
    dialog.addEventListener('keydown', trapTab);
    dialog.focus();
}

export function close(dialog) {
    dialog.removeEventListener('keydown', trapTab);
    const opener = openers.get(dialog);
    openers.delete(dialog);
    if (opener instanceof HTMLElement && opener.isConnected) {
        opener.focus();
    }
}

export function print(frame) {
    // Same origin (sandbox allow-same-origin) lets the page print the frame; allow-modals lets the print dialog open.
    frame.contentWindow.focus();
    frame.contentWindow.print();
}
