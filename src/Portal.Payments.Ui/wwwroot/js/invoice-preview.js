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

// The frame's first document may reuse its initial window, so a window is hooked once.
const hooked = new WeakSet();

// Escape pressed while focus is inside the document frame (after a click into it, or after Print) still closes the
// dialog: the frame runs no script of its own, but it is same-origin, so the page listens to its keys.
function forwardEscape(frame, dialog) {
    const hook = () => {
        try {
            const view = frame.contentWindow;
            if (!view || hooked.has(view)) return;
            hooked.add(view);
            view.addEventListener('keydown', event => {
                if (event.key !== 'Escape') return;
                dialog.focus();
                dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', code: 'Escape', bubbles: true }));
            });
        } catch {
            // A frame that is not same-origin cannot be listened to: Escape works once focus is back in the dialog.
        }
    };
    frame.addEventListener('load', hook);
    hook();
}

export function open(dialog, frame) {
    openers.set(dialog, document.activeElement);
    dialog.addEventListener('keydown', trapTab);
    if (frame) forwardEscape(frame, dialog);
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
    // Back in the dialog once the print dialog closes: Escape and Tab work on it again.
    frame.closest('[role=dialog]')?.focus();
}
