// medqr serve: the page script. No dependencies; loaded from the server
// itself (the Content-Security-Policy allows nothing else).
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);

  // post sends a form to the API with the page's CSRF token.
  function post(url, fd) {
    return fetch(url, {
      method: "POST", body: fd, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf },
    });
  }

  function clearErrors(form) {
    form.querySelectorAll(".error").forEach((e) => { e.textContent = ""; });
  }

  // showError puts an API error next to the field it concerns and moves
  // the focus there.
  function showError(form, err) {
    const text = err.error + (err.hint ? "\n" + err.hint : "");
    const target = (err.field && $(err.field + "-error")) || $("form-error");
    target.textContent = text;
    const input = err.field && (form.querySelector("#" + err.field) ||
      form.querySelector('[name="' + err.field + '"]'));
    if (input && typeof input.focus === "function") {
      input.focus();
    }
  }

  async function errorOf(resp) {
    try {
      const e = await resp.json();
      if (e && e.error) {
        return e;
      }
    } catch (_) { /* not JSON: fall through */ }
    return { error: "the server answered " + resp.status + " " + resp.statusText };
  }

  // submit posts fd to url with the button disabled and working shown as
  // the status, then hands an ok response to handle; a refusal (the
  // server's error, next to its field) or a failure to reach the server
  // is shown on the form.
  async function submit(form, button, url, fd, working, handle) {
    button.disabled = true;
    $("status").textContent = working;
    try {
      const resp = await post(url, fd);
      if (!resp.ok) {
        $("status").textContent = "";
        showError(form, await errorOf(resp));
        return;
      }
      await handle(resp);
    } catch (err) {
      $("status").textContent = "";
      showError(form, { error: "the server could not be reached: " + err.message });
    } finally {
      button.disabled = false;
    }
  }

  // dropZone lets a box take dragged files; onFiles receives them.
  function dropZone(zone, onFiles) {
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      if (e.dataTransfer && e.dataTransfer.files.length) {
        onFiles(e.dataTransfer.files);
      }
    });
  }

  // toggleByRadio shows the element of the checked radio's value and hides
  // the others (a value without an element shows none).
  function toggleByRadio(name, fields) {
    const update = () => {
      const v = document.querySelector('input[name="' + name + '"]:checked').value;
      for (const [value, el] of Object.entries(fields)) {
        if (el) {
          el.hidden = value !== v;
        }
      }
    };
    document.querySelectorAll('input[name="' + name + '"]').forEach((r) => r.addEventListener("change", update));
    update();
  }

  function fact(dl, name, value) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    dl.append(dt, dd);
  }

  function link(href, text, download) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    a.className = "button secondary";
    if (download) {
      a.setAttribute("download", "");
    }
    return a;
  }

  const bytes = (n) => n.toLocaleString("en") + " bytes";

  function saveText(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function encryptPage() {
    const form = $("encrypt-form");
    const image = $("image");
    const button = $("encrypt-button");
    let key = "";
    let id = "";
    dropZone($("image-drop"), (files) => {
      const dt = new DataTransfer();
      dt.items.add(files[0]);
      image.files = dt.files;
    });
    toggleByRadio("mode", { key: null, passphrase: $("passphrase-field"), recipient: $("recipient-field") });
    const lossless = $("lossless");
    lossless.addEventListener("change", () => { $("codec").disabled = $("codes").disabled = lossless.checked; });

    $("reveal-key").addEventListener("click", () => {
      const code = $("key-text");
      code.hidden = !code.hidden;
      $("reveal-key").setAttribute("aria-expanded", String(!code.hidden));
      $("reveal-key").textContent = code.hidden ? "Reveal key" : "Hide key";
    });
    $("copy-key").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(key);
        $("key-status").textContent = "Key copied to the clipboard.";
      } catch (_) {
        $("key-status").textContent = "Copying is not allowed here: reveal the key and copy it by hand, or download the key file.";
      }
    });
    $("download-key").addEventListener("click", () => {
      saveText("medqr-" + id + "-key.txt",
        "# created: " + new Date().toISOString().replace(/\.\d+Z$/, "Z") + "\n" +
        "# purpose: decrypts the medqr QR code(s) medqr-" + id + "*.png\n" + key + "\n");
      $("key-status").textContent = "Key file saved as medqr-" + id + "-key.txt.";
    });

    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!image.files.length) {
        showError(form, { error: "choose an X-ray image first", field: "image" });
        return;
      }
      const fd = new FormData();
      fd.append("image", image.files[0]);
      fd.append("level", form.querySelector('input[name="level"]:checked').value);
      if (lossless.checked) {
        fd.append("lossless", "true");
      } else {
        fd.append("codec", $("codec").value);
        fd.append("codes", $("codes").value);
      }
      const mode = form.querySelector('input[name="mode"]:checked').value;
      if (mode === "passphrase") {
        if (!$("passphrase").value) {
          showError(form, { error: "type a passphrase", field: "passphrase" });
          return;
        }
        fd.append("passphrase", $("passphrase").value);
      } else if (mode === "recipient") {
        fd.append("recipient", $("recipient").value);
      }
      await submit(form, button, "/api/encrypt", fd, "Encrypting… this takes a few seconds.", async (resp) => {
        const r = await resp.json();
        $("passphrase").value = "";
        show(r);
        $("status").textContent = "Done: record " + r.id + ".";
      });
    });

    function show(r) {
      key = r.key || "";
      id = r.id;
      $("record-id").textContent = r.id;
      $("key-box").hidden = !key;
      $("key-text").textContent = key;
      $("key-text").hidden = true;
      $("reveal-key").setAttribute("aria-expanded", "false");
      $("reveal-key").textContent = "Reveal key";
      $("key-status").textContent = "";
      $("mode-note").hidden = !!key;
      $("mode-note").textContent = key ? "" :
        "Sealed with " + (r.record.mode === "passphrase" ? "your passphrase" : "the recipient's public key (" + r.record.mode + ")") + ": no key to keep.";

      const list = $("qr-list");
      list.replaceChildren();
      r.qr.forEach((u, i) => {
        const img = document.createElement("img");
        img.src = u;
        img.alt = "QR code " + (i + 1) + " of " + r.qr.length + " for record " + r.id;
        list.append(img);
      });
      const dl = $("downloads");
      dl.replaceChildren();
      r.qr.forEach((u, i) => {
        dl.append(link(u + "?download=1", r.qr.length > 1 ? "QR code " + (i + 1) + " (PNG)" : "Download QR code (PNG)", true));
      });
      if (r.sheet) {
        dl.append(link(r.sheet + "?download=1", "Sheet of all codes (PNG)", true));
      }
      dl.append(link(r.print, "Printable sheet", false));
      dl.append(link("/files/medqr-" + r.id + ".json?download=1", "Record (JSON)", true));

      $("preview-input").src = r.preview.input;
      $("preview-decoded").src = r.preview.decoded;
      const f = $("facts");
      f.replaceChildren();
      const rec = r.record;
      fact(f, "Image", rec.width + "×" + rec.height + ", " + rec.depth + "-bit");
      fact(f, "Codec, level", rec.codec + ", " + rec.level);
      fact(f, "Fidelity", r.fidelity.exact ? "exact: every pixel identical" :
        "PSNR " + r.fidelity.psnr_db.toFixed(2) + " dB, SSIM " + r.fidelity.ssim.toFixed(4));
      fact(f, "Uploaded file", bytes(r.bytes.input));
      fact(f, "Coded image", bytes(r.bytes.payload));
      fact(f, "Sealed, in " + rec.symbols + " QR code" + (rec.symbols > 1 ? "s" : ""), bytes(r.bytes.sealed));
      fact(f, "QR PNG file" + (rec.symbols > 1 ? "s" : ""), bytes(r.bytes.qr_png));
      $("result").hidden = false;
      $("result-title").focus();
    }
  }

  function decryptPage() {
    const form = $("decrypt-form");
    const button = $("decrypt-button");
    const input = $("qr");
    const chosen = $("qr-chosen");
    let files = [];
    let imageURL = "";
    let stream = null;
    let shots = 0;

    function render() {
      chosen.replaceChildren();
      files.forEach((f, i) => {
        const li = document.createElement("li");
        li.textContent = f.name + " ";
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = "Remove";
        b.setAttribute("aria-label", "Remove " + f.name);
        b.addEventListener("click", () => { files.splice(i, 1); render(); input.focus(); });
        li.append(b);
        chosen.append(li);
      });
    }
    const add = (list) => { files.push(...list); render(); };
    input.addEventListener("change", () => { add(input.files); input.value = ""; });
    dropZone($("qr-drop"), add);
    toggleByRadio("unlock", { key: $("key-field"), passphrase: $("passphrase-field"), identity: $("identity-field") });

    // The camera: capture still frames as PNG files (where the browser
    // allows it: a secure context such as localhost, and a camera).
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      $("camera-actions").hidden = false;
      const video = $("camera");
      const stop = () => {
        if (stream) {
          stream.getTracks().forEach((t) => t.stop());
          stream = null;
        }
        video.hidden = true;
        $("camera-capture").hidden = true;
        $("camera-stop").hidden = true;
        $("camera-start").hidden = false;
      };
      $("camera-start").addEventListener("click", async () => {
        try {
          stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1920 } } });
        } catch (err) {
          $("qr-error").textContent = "the camera is not available: " + err.message + "\nupload photos of the QR codes instead";
          return;
        }
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
        $("camera-start").hidden = true;
        $("camera-capture").hidden = false;
        $("camera-stop").hidden = false;
        $("camera-capture").focus();
      });
      $("camera-capture").addEventListener("click", () => {
        const c = document.createElement("canvas");
        c.width = video.videoWidth;
        c.height = video.videoHeight;
        c.getContext("2d").drawImage(video, 0, 0);
        c.toBlob((b) => {
          shots++;
          add([new File([b], "camera-" + shots + ".png", { type: "image/png" })]);
        }, "image/png");
      });
      $("camera-stop").addEventListener("click", stop);
    }

    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!files.length) {
        showError(form, { error: "add the QR code image(s) first", field: "qr" });
        return;
      }
      const fd = new FormData();
      files.forEach((f) => fd.append("qr", f, f.name));
      const how = form.querySelector('input[name="unlock"]:checked').value;
      if (how === "key") {
        if ($("key").value.trim()) {
          fd.append("key", $("key").value.trim());
        } else if ($("keyfile").files.length) {
          fd.append("key", $("keyfile").files[0]);
        } else {
          showError(form, { error: "paste the key or choose its key file", field: "key" });
          return;
        }
      } else if (how === "passphrase") {
        if (!$("passphrase").value) {
          showError(form, { error: "type the passphrase", field: "passphrase" });
          return;
        }
        fd.append("passphrase", $("passphrase").value);
      } else {
        if (!$("identity").files.length) {
          showError(form, { error: "choose the identity file", field: "identity" });
          return;
        }
        fd.append("identity", $("identity").files[0]);
      }
      await submit(form, button, "/api/decrypt", fd, "Decrypting…", async (resp) => {
        const blob = await resp.blob();
        if (imageURL) {
          URL.revokeObjectURL(imageURL);
        }
        imageURL = URL.createObjectURL(blob);
        $("decrypted").src = imageURL;
        $("download-png").href = imageURL;
        const h = (n) => resp.headers.get(n) || "?";
        const f = $("facts");
        f.replaceChildren();
        fact(f, "Size", h("Medqr-Width") + "×" + h("Medqr-Height") + " pixels");
        fact(f, "Depth", h("Medqr-Depth") + "-bit gray");
        fact(f, "Codec, level", h("Medqr-Codec") + ", " + h("Medqr-Level"));
        fact(f, "QR codes", h("Medqr-Symbols"));
        fact(f, "PNG", bytes(blob.size));
        $("passphrase").value = "";
        $("result").hidden = false;
        $("status").textContent = "Decrypted.";
        $("result-title").focus();
      });
    });
  }

  function printPage() {
    $("print-button").addEventListener("click", () => window.print());
  }

  const pages = { encrypt: encryptPage, decrypt: decryptPage, print: printPage };
  const init = pages[document.body.dataset.page];
  if (init) {
    init();
  }
})();
