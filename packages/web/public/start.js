// Opens IndexedDB and reads the first screen's stores while the app's modules load (issue 14); a file
// because the CSP allows no inline script. Any surprise resolves to null and the app reads itself.
// Why and how: src/platform/early-start.ts. DB_NAME and DB_VERSION are src/platform/db.ts's.
/* global self, performance, indexedDB -- a page script (the ESLint config gives browser globals only to TypeScript sources) */
(function () {
  var DB_NAME = 'tessera';
  var DB_VERSION = 2;
  var STORES = ['settings', 'keys', 'vault'];
  if (typeof indexedDB === 'undefined' || self.__tesseraStart !== undefined) return;
  performance.mark('tessera:vault-open-start');
  self.__tesseraStart = new Promise(function (resolve) {
    var request;
    try {
      request = indexedDB.open(DB_NAME, DB_VERSION);
    } catch {
      resolve(null);
      return;
    }
    // A first run or an upgrade is the app's to make: aborting leaves no database behind.
    request.onupgradeneeded = function () {
      request.transaction.abort();
    };
    request.onerror = function (event) {
      event.preventDefault();
      resolve(null);
    };
    request.onsuccess = function () {
      var db = request.result;
      try {
        var tx = db.transaction(STORES, 'readonly');
        var stores = {};
        STORES.forEach(function (name) {
          var store = tx.objectStore(name);
          var keys = store.getAllKeys();
          var values = store.getAll();
          values.onsuccess = function () {
            var entries = new Map();
            for (var i = 0; i < keys.result.length; i++) entries.set(keys.result[i], values.result[i]);
            stores[name] = entries;
          };
        });
        tx.oncomplete = function () {
          resolve({ db: db, stores: stores });
        };
        tx.onabort = function () {
          resolve({ db: db, stores: null });
        };
      } catch {
        resolve({ db: db, stores: null });
      }
    };
  });
})();
