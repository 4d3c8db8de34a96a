// A local stand-in for Stripe.js v3 (https://js.stripe.com/v3/), served to Chromium by the tests through Playwright.
// It follows Stripe.js's documented surface — Stripe(publishableKey), stripe.elements({ clientSecret }),
// elements.create('payment' | 'card'), element.mount / destroy / on, stripe.confirmSetup, stripe.confirmCardSetup,
// stripe.collectBankAccountForSetup, stripe.handleNextAction, stripe.retrieveSetupIntent / retrievePaymentIntent —
// and talks to "https://api.stripe.com", which the tests route to the local Stripe API stand-in. Like Stripe.js it
// sends the publishable key and the intent's client secret as form fields (no custom headers, so no CORS preflight),
// and it keeps typed card numbers inside its own frame: the host page never sees them.
(function () {
  "use strict";
  const API = "https://api.stripe.com/v1";

  function form(params) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null) body.append(k, String(v));
    }
    return body;
  }

  async function call(method, path, params) {
    const url = API + path;
    const response = method === "GET"
      ? await fetch(url + "?" + form(params).toString())
      : await fetch(url, { method: "POST", body: form(params) });
    const json = await response.json();
    return response.ok ? { ok: true, body: json } : { ok: false, error: json.error };
  }

  const intentId = (clientSecret) => clientSecret.slice(0, clientSecret.indexOf("_secret_"));

  function flatten(prefix, value, into) {
    if (value === undefined || value === null) return into;
    if (typeof value === "object") {
      for (const [k, v] of Object.entries(value)) flatten(`${prefix}[${k}]`, v, into);
    } else {
      into[prefix] = value;
    }
    return into;
  }

  // ---- the card frame: typed numbers live here only ----
  const CARD_FRAME = `<!doctype html><html lang="en"><head><title>Secure card details</title><style>
    body{font:14px system-ui,sans-serif;margin:0;padding:4px}label{display:block;margin:6px 0 2px}
    input{font:inherit;padding:6px;border:1px solid #767676;border-radius:4px;width:14em}.row{display:flex;gap:12px}
    .row input{width:6em}</style></head><body>
    <label for="number">Card number</label><input id="number" inputmode="numeric" autocomplete="cc-number">
    <div class="row"><div><label for="expiry">Expiration date (MM / YY)</label><input id="expiry" autocomplete="cc-exp" placeholder="MM / YY"></div>
    <div><label for="cvc">Security code</label><input id="cvc" inputmode="numeric" autocomplete="cc-csc"></div>
    <div><label for="postal">ZIP</label><input id="postal" autocomplete="postal-code"></div></div></body></html>`;

  class Element {
    constructor(elements, type, options) {
      this.elements = elements;
      this.type = type;
      this.options = options || {};
      this.frame = null;
      this.handlers = {};
    }
    mount(target) {
      const host = typeof target === "string" ? document.querySelector(target) : target;
      if (!host) throw new Error("IntegrationError: the element to mount into was not found.");
      const frame = document.createElement("iframe");
      frame.title = "Secure payment input frame";
      frame.setAttribute("srcdoc", CARD_FRAME);
      frame.style.cssText = "border:0;width:100%;height:130px";
      host.appendChild(frame);
      this.frame = frame;
      frame.addEventListener("load", () => (this.handlers.ready || []).forEach((h) => h({ elementType: this.type })));
      return this;
    }
    on(event, handler) {
      (this.handlers[event] = this.handlers[event] || []).push(handler);
      return this;
    }
    destroy() {
      if (this.frame) this.frame.remove();
      this.frame = null;
    }
    cardData() {
      const doc = this.frame && this.frame.contentDocument;
      if (!doc) return null;
      const value = (id) => doc.getElementById(id).value.trim();
      const [month, year] = value("expiry").split("/").map((s) => s.trim());
      return { number: value("number").replace(/\s+/g, ""), exp_month: month, exp_year: year, cvc: value("cvc"), postal: value("postal") };
    }
  }

  class Elements {
    constructor(stripe, options) {
      this.stripe = stripe;
      this.options = options || {};
      this.element = null;
    }
    create(type, options) {
      if (type !== "payment" && type !== "card") throw new Error(`IntegrationError: the stand-in has no '${type}' element.`);
      this.element = new Element(this, type, options);
      return this.element;
    }
    getElement() {
      return this.element;
    }
    async submit() {
      return {};
    }
  }

  function modal(label, build) {
    return new Promise((resolve) => {
      const backdrop = document.createElement("div");
      backdrop.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center;z-index:10000";
      const dialog = document.createElement("div");
      dialog.setAttribute("role", "dialog");
      dialog.setAttribute("aria-modal", "true");
      dialog.setAttribute("aria-label", label);
      dialog.style.cssText = "background:#fff;color:#1a1a1a;padding:20px;border-radius:8px;min-width:320px;font:14px system-ui,sans-serif";
      backdrop.appendChild(dialog);
      document.body.appendChild(backdrop);
      const close = (value) => {
        backdrop.remove();
        resolve(value);
      };
      build(dialog, close);
      const first = dialog.querySelector("input, button");
      if (first) first.focus();
    });
  }

  function button(text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.style.cssText = "margin:12px 8px 0 0;padding:6px 12px";
    b.addEventListener("click", onClick);
    return b;
  }

  function field(dialog, id, label) {
    const l = document.createElement("label");
    l.htmlFor = id;
    l.textContent = label;
    l.style.cssText = "display:block;margin:8px 0 2px";
    const input = document.createElement("input");
    input.id = id;
    input.inputMode = "numeric";
    input.style.cssText = "padding:6px;border:1px solid #767676;border-radius:4px";
    dialog.append(l, input);
    return input;
  }

  class StripeStandIn {
    constructor(publishableKey) {
      if (!/^pk_(test|live)_/.test(publishableKey || "")) throw new Error("IntegrationError: Invalid value for Stripe(): apiKey should be a publishable key.");
      this.key = publishableKey;
    }

    elements(options) {
      return new Elements(this, options);
    }

    retrieveSetupIntent(clientSecret) {
      return call("GET", `/setup_intents/${intentId(clientSecret)}`, { key: this.key, client_secret: clientSecret })
        .then((r) => (r.ok ? { setupIntent: r.body } : { error: r.error }));
    }

    retrievePaymentIntent(clientSecret) {
      return call("GET", `/payment_intents/${intentId(clientSecret)}`, { key: this.key, client_secret: clientSecret })
        .then((r) => (r.ok ? { paymentIntent: r.body } : { error: r.error }));
    }

    async confirmSetup({ elements, clientSecret, confirmParams }) {
      const secret = clientSecret || (elements && elements.options.clientSecret);
      const element = elements && elements.getElement();
      if (!secret || !element) return { error: { type: "validation_error", message: "The card form is not ready." } };
      const billing = (confirmParams && confirmParams.payment_method_data && confirmParams.payment_method_data.billing_details) || {};
      return this._confirmCard(secret, element, billing);
    }

    async confirmCardSetup(clientSecret, data) {
      const pm = (data && data.payment_method) || {};
      return this._confirmCard(clientSecret, pm.card, pm.billing_details || {});
    }

    async _confirmCard(clientSecret, element, billing) {
      const card = element && element.cardData();
      if (!card || !card.number) return { error: { type: "validation_error", code: "incomplete_number", message: "Your card number is incomplete." } };
      const params = {
        key: this.key,
        client_secret: clientSecret,
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": card.number,
        "payment_method_data[card][exp_month]": card.exp_month,
        "payment_method_data[card][exp_year]": card.exp_year,
        "payment_method_data[card][cvc]": card.cvc,
      };
      flatten("payment_method_data[billing_details]", billing, params);
      if (card.postal) params["payment_method_data[billing_details][address][postal_code]"] = card.postal;
      const r = await call("POST", `/setup_intents/${intentId(clientSecret)}/confirm`, params);
      return r.ok ? { setupIntent: r.body } : { error: r.error };
    }

    async collectBankAccountForSetup({ clientSecret, params }) {
      const billing = (params && params.payment_method_data && params.payment_method_data.billing_details) || {};
      if (!billing.name) return { error: { type: "validation_error", message: "billing_details.name is required." } };
      const linked = await modal("Link your bank account (Stripe)", (dialog, close) => {
        const title = document.createElement("h2");
        title.textContent = "Link your bank account";
        dialog.appendChild(title);
        const routing = field(dialog, "stripe-standin-routing", "Routing number");
        const account = field(dialog, "stripe-standin-account", "Account number");
        const error = document.createElement("p");
        error.setAttribute("role", "alert");
        dialog.appendChild(error);
        dialog.appendChild(button("Link account", async () => {
          const pm = await call("POST", "/payment_methods", flatten("billing_details", billing, {
            key: this.key,
            type: "us_bank_account",
            "us_bank_account[routing_number]": routing.value.trim(),
            "us_bank_account[account_number]": account.value.trim(),
            "us_bank_account[account_holder_type]": "company",
            "us_bank_account[account_type]": "checking",
          }));
          if (!pm.ok) {
            error.textContent = pm.error.message;
            return;
          }
          const si = await call("POST", `/setup_intents/${intentId(clientSecret)}`, { key: this.key, client_secret: clientSecret, payment_method: pm.body.id });
          close(si.ok ? { setupIntent: si.body } : { error: si.error });
        }));
        dialog.appendChild(button("Cancel", () => close(null)));
      });
      if (linked) return linked;
      const current = await this.retrieveSetupIntent(clientSecret);
      return current.error ? current : { setupIntent: current.setupIntent };
    }

    async handleNextAction({ clientSecret }) {
      const choice = await modal("Confirm your payment (3D Secure test page)", (dialog, close) => {
        const text = document.createElement("p");
        text.textContent = "Your bank asks you to confirm this payment.";
        dialog.appendChild(text);
        dialog.appendChild(button("Complete authentication", () => close("complete")));
        dialog.appendChild(button("Fail authentication", () => close("fail")));
      });
      const r = await call("POST", `/payment_intents/${intentId(clientSecret)}/authenticate`, { key: this.key, client_secret: clientSecret, result: choice });
      if (!r.ok) return { error: r.error };
      return r.body.last_payment_error ? { error: r.body.last_payment_error, paymentIntent: r.body } : { paymentIntent: r.body };
    }
  }

  window.Stripe = function (publishableKey, options) {
    return new StripeStandIn(publishableKey, options);
  };
  window.Stripe.version = 3;
})();
